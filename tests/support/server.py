"""The app under gunicorn with several worker processes, for tests of real concurrency.

They run on each test database: PostgreSQL (row locks) and the SQLite file (where a row lock takes
the database's write lock first, `extensions._sqlite_lock_where_postgresql_locks_rows`).
"""
import contextlib
import http.client
import re
import threading
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlencode, urlparse


from bench.common import gunicorn

def session_cookie(app, user):
    """A signed Flask session for `user`, as the sign-in form would leave it (no password hashing)."""
    from community.accounts.services import start_session
    from community.extensions import db

    secret = start_session(user)
    db.session.commit()  # the server-side session the cookie names
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": secret, "_fresh": True})


@dataclass
class Reply:
    status: int
    location: str
    #: The session cookie the response set (it carries the flashed messages), or the one sent.
    cookie: str
    body: str


class Server:
    """A gunicorn server on the test database; requests carry a person's session cookie."""

    def __init__(self, base):
        self.base = base
        parts = urlparse(base)
        self.host, self.port = parts.hostname, parts.port

    def connect(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.connect()
        return conn

    def send(self, conn, method, path, cookie, data=None):
        """One request on an open connection; the connection is closed afterwards."""
        headers = {"Cookie": f"session={cookie}"}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        new_cookie = cookie
        for header in response.headers.get_all("Set-Cookie") or ():
            found = re.match(r"session=([^;]*)", header)
            if found:
                new_cookie = found.group(1)
        location = urlparse(response.headers.get("Location", ""))
        return Reply(response.status, location.path + (f"?{location.query}" if location.query else ""),
                     new_cookie, text)

    def request(self, method, path, cookie, data=None):
        return self.send(self.connect(), method, path, cookie, data)

    def post(self, path, cookie, data=None):
        return self.request("POST", path, cookie, data or {})

    def follow(self, reply):
        """The page a browser shows after a redirect (with the flashed messages)."""
        assert reply.status in (301, 302, 303), (reply.status, reply.body[:500])
        return self.request("GET", reply.location, reply.cookie)

    def at_once(self, calls):
        """Send requests at the same moment: each call is (method, path, cookie, data).

        Connections are opened first and the requests written together after a barrier, so the
        workers really handle them side by side. Returns the replies in the order of `calls`.
        """
        replies, errors = [None] * len(calls), []
        barrier = threading.Barrier(len(calls))

        def run(index, method, path, cookie, data):
            try:
                conn = self.connect()
                barrier.wait(timeout=60)
                replies[index] = self.send(conn, method, path, cookie, data)
            except Exception as error:  # reported below, in the test's thread
                errors.append(error)
                barrier.abort()

        threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        if errors:
            raise errors[0]
        return replies


def flashes(page):
    """The flashed messages on a page, as a person reads them."""
    return [unescape(re.sub(r"<[^>]+>", "", m))
            for m in re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', page, re.S)]


@contextlib.contextmanager
def serve(app, tmp_path, workers=4, **config):
    """Serve the app under test with gunicorn on the test's database; yields a `Server`.

    The server shares the test's database and secret key, so rows the test made are there and
    cookies from `session_cookie` sign people in. Mail goes nowhere unless `MAIL_URL` is given.
    """
    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": app.config["SECRET_KEY"],
                "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_URL": "none",
                "REDIS_URL": "", "JOBS_QUEUE": "inline",
                "SITE_URL": app.config.get("SITE_URL", "http://community.test"),
                "INSTANCE_PATH": str(tmp_path / "gunicorn"), **config}
    # The app is loaded once before the workers fork (they are ready at once) and the workers
    # are given a second to finish at the end: tests wait for every response before stopping.
    quick = {"GUNICORN_CMD_ARGS": "--preload --graceful-timeout 1"}
    with gunicorn(f"community:create_app({settings!r})", env=quick, workers=workers) as base:
        yield Server(base)
