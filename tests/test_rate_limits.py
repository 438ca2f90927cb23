"""Rate limits see each client behind trusted proxies, and are shared by every web process."""
import http.client
import os
from urllib.parse import urlencode, urlparse

import pytest

from tests.conftest import IN_CI

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PROXY = "10.0.0.2"  # nginx, as the application sees it


def _limited_app(app_factory, **overrides):
    return app_factory(RATELIMIT_ENABLED=True, LIMIT_SIGN_IN="3 per minute",
                       RATELIMIT_STORAGE_URI="memory://", **overrides)


def _attempt(client, forwarded_for=None, remote=PROXY, n=0):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/sign-in", data={"email": f"nobody{n}@example.org", "password": "guess"},
                       headers=headers, environ_base={"REMOTE_ADDR": remote}).status_code


def test_behind_a_trusted_proxy_each_client_has_its_own_sign_in_limit(app_factory):
    app = _limited_app(app_factory, TRUSTED_PROXIES=1)
    client = app.test_client()
    first = [_attempt(client, "203.0.113.1", n=n) for n in range(4)]
    assert first == [200, 200, 200, 429]
    assert _attempt(client, "203.0.113.2") == 200  # another person behind the same nginx


def test_a_client_cannot_escape_its_limit_by_sending_its_own_forwarded_for(app_factory):
    app = _limited_app(app_factory, TRUSTED_PROXIES=1)
    client = app.test_client()
    # nginx appends the real address to whatever the client sent; only the last one counts.
    codes = [_attempt(client, f"198.51.100.{n}, 203.0.113.1", n=n) for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored(app_factory):
    app = _limited_app(app_factory)  # TRUSTED_PROXIES defaults to 0
    client = app.test_client()
    codes = [_attempt(client, f"198.51.100.{n}", remote="203.0.113.9", n=n) for n in range(4)]
    assert codes == [200, 200, 200, 429]


def _seen_by(app, headers, remote=PROXY):
    """The scheme and client address the application sees for a request."""
    from flask import request

    app.add_url_rule("/_seen", "_seen", lambda: f"{request.scheme} {request.remote_addr}")
    return app.test_client().get("/_seen", headers=headers,
                                 environ_base={"REMOTE_ADDR": remote}).get_data(as_text=True)


def test_a_trusted_proxy_tells_the_client_address_and_scheme(app_factory):
    one_hop = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1, 203.0.113.1"}
    assert _seen_by(app_factory(TRUSTED_PROXIES=1), one_hop) == "https 203.0.113.1"
    two_hops = {"X-Forwarded-Proto": "https, http", "X-Forwarded-For": "198.51.100.1, 203.0.113.1"}
    assert _seen_by(app_factory(TRUSTED_PROXIES=2), two_hops) == "https 198.51.100.1"


def test_without_trusted_proxies_forwarded_headers_are_ignored(app_factory):
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1"}
    assert _seen_by(app_factory(), headers, remote="203.0.113.9") == "http 203.0.113.9"


def _redis_or_skip():
    from redis import Redis
    from redis.exceptions import ConnectionError

    try:
        Redis.from_url(REDIS_URL).ping()
    except ConnectionError:
        if IN_CI:
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (it must be under CI=true)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def _post_sign_in(base, n):
    parts = urlparse(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("POST", "/sign-in",
                 urlencode({"email": f"nobody{n}@example.org", "password": "guess"}),
                 {"Content-Type": "application/x-www-form-urlencoded"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_two_web_nodes_with_redis_share_one_sign_in_limit(app, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the limit lives in Redis; one database backend is enough")
    _redis_or_skip()
    from redis import Redis

    from bench.common import gunicorn

    Redis.from_url(REDIS_URL).flushdb()  # this test's own Redis database
    config = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "SECRET_KEY": app.config["SECRET_KEY"], "WTF_CSRF_ENABLED": False,
              "RATELIMIT_ENABLED": True, "LIMIT_SIGN_IN": "3 per minute", "REDIS_URL": REDIS_URL,
              "JOBS_INLINE": True, "MAIL_URL": "none", "SITE_URL": "http://community.test"}
    spec = "community:create_app({!r})"
    with gunicorn(spec.format({**config, "INSTANCE_PATH": str(tmp_path / "a")}), workers=1) as node_a, \
            gunicorn(spec.format({**config, "INSTANCE_PATH": str(tmp_path / "b")}), workers=1) as node_b:
        codes = [_post_sign_in(node_a, 0), _post_sign_in(node_b, 1), _post_sign_in(node_a, 2),
                 _post_sign_in(node_b, 3)]
    assert codes == [200, 200, 200, 429]


def test_the_rate_limit_storage_is_redis_when_redis_is_configured(app_factory):
    app = app_factory(REDIS_URL="redis://redis.internal:6379/0")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://redis.internal:6379/0"
    explicit = app_factory(REDIS_URL="redis://a:6379/0", RATELIMIT_STORAGE_URI="redis://b:6379/1")
    assert explicit.config["RATELIMIT_STORAGE_URI"] == "redis://b:6379/1"
