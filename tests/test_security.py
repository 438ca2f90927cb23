"""Security: CSRF, open redirects, rate limits, headers, ending sessions."""
import pytest

from community.accounts import services
from community.extensions import db


@pytest.fixture
def strict_app(app_factory):
    application = app_factory(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True,
                              LIMIT_SIGN_IN="5 per minute")
    with application.app_context():
        yield application


def test_forms_without_a_csrf_token_are_rejected(strict_app, make_user):
    user = make_user()
    client = strict_app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 400
    assert client.post("/sign-out").status_code == 400


def test_sign_in_is_rate_limited_after_repeated_failures(strict_app, make_user):
    user = make_user()
    client = strict_app.test_client()
    strict_app.config["WTF_CSRF_ENABLED"] = False
    codes = [client.post("/sign-in", data={"email": user.email, "password": "nope"}).status_code
             for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http://community.test.evil.example/"])
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery",
                                             "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(client, make_user):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery",
                                             "next": "/people?county=kern"})
    assert response.headers["Location"] == "/people?county=kern"


@pytest.mark.parametrize("path", ["/", "/sign-in", "/healthz", "/no-such-page", "/static/css/site.css"])
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_deactivated_person_is_signed_out_at_their_next_request(client, make_user, sign_in):
    admin, user = make_user(role="admin"), make_user()
    sign_in(user)
    assert client.get("/people").status_code == 200
    services.deactivate(admin, user)
    db.session.commit()
    response = client.get("/people")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.post("/sign-in", data={"email": user.email, "password": "correct horse battery"}).status_code == 200


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    from community import create_app
    from community.config import ConfigError

    with pytest.raises(ConfigError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_into_the_instance_folder(tmp_path):
    from community import create_app

    first = create_app({"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    second = create_app({"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path)})
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_site_url(tmp_path):
    from community import create_app
    from community.config import ConfigError

    with pytest.raises(ConfigError, match="SITE_URL"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 40, "SITE_URL": "",
                    "INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("site_url", ["community.cfpic.org", "ftp://community.cfpic.org",
                                      "javascript:alert(1)", "https://"])
def test_a_site_url_that_is_not_an_http_address_is_refused(tmp_path, site_url):
    from community import create_app
    from community.config import ConfigError

    with pytest.raises(ConfigError, match="SITE_URL"):
        create_app({"SECRET_KEY": "s" * 40, "SITE_URL": site_url, "INSTANCE_PATH": str(tmp_path)})


def test_development_without_a_site_url_links_to_the_local_server(tmp_path):
    from community import create_app, mail

    app = create_app({"SECRET_KEY": "s" * 40, "SITE_URL": "", "INSTANCE_PATH": str(tmp_path)})
    with app.test_request_context("/", base_url="http://evil.example"):
        assert mail.external_url("accounts.forgot_password") == "http://127.0.0.1:5000/password/forgot"


def test_links_keep_the_path_of_a_site_url_served_under_a_prefix(app_factory):
    from community import mail

    app = app_factory(SITE_URL="https://intranet.cfpic.org/community/")
    with app.app_context():
        assert (mail.external_url("accounts.reset_password", secret="abc")
                == "https://intranet.cfpic.org/community/password/reset/abc")
