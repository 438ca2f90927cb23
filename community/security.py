"""Sign-in sessions, security headers, safe redirects, trusted proxies and error pages."""
from urllib.parse import unquote, urlsplit

from flask import jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from .caching import viewer_signed_in
from .extensions import db, login_manager
from .timeutil import utcnow

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def safe_next(target, fallback=None):
    """`target` when it is a path on this site, else `fallback` (a URL; default the home page).

    The only way to redirect to a place the client chose (`next`, `back`, the Referer): a
    same-site path such as ``/people?county=kern``, never another host, whatever the spelling.
    """
    return target if is_local_path(target) else (fallback or url_for("core.home"))


def safe_referrer(fallback=None):
    """The page the request came from when it is on this site, else `fallback`."""
    referrer = request.referrer or ""
    own = request.host_url.rstrip("/")
    if referrer.startswith(own + "/"):
        return safe_next(referrer[len(own):], fallback)
    return fallback or url_for("core.home")


def is_local_path(target):
    """Whether `target` is a path on this site: one leading slash, no host, scheme or tricks.

    Refuses ``//host``, ``/\\host``, ``https:``, ``javascript:``, backslashes, control characters
    and raw whitespace, and the same spelled with %-escapes (``/%2F%2Fhost``, ``/%5Chost``).
    """
    if not isinstance(target, str) or not target or len(target) > 2048 or " " in target:
        return False
    path = target.split("?", 1)[0].split("#", 1)[0]
    for spelling in (target, unquote(path), unquote(unquote(path))):
        if "\\" in spelling or any(ord(char) < 0x20 or ord(char) == 0x7F for char in spelling):
            return False
        if not spelling.startswith("/") or spelling.startswith("//"):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@login_manager.user_loader
def _load_user(session_token):
    """The person whose live server-side session this cookie names, or None (signed out)."""
    from .accounts.models import UserSession, received_with_session

    live = UserSession.find_live(session_token)
    if live is None or not live.User.is_active:
        return None  # signed out, expired, ended everywhere or deactivated: the session ends here
    received_with_session(live.User, live)
    now = utcnow()
    if UserSession.needs_touch(live.last_seen_at, now):
        UserSession.record_activity(live.id, now)
    live.User.session_token = session_token
    return live.User


def _trust_proxies(app):
    """Take the client's address and scheme from the configured number of reverse proxies."""
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def init_app(app):
    _trust_proxies(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if viewer_signed_in():
            headers.setdefault("Cache-Control", "private, no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("core/error.html", code=400, title="This form has expired",
                               message="Please go back, reload the page and try again."), 400

    for code, title, message in [
        (403, "Not allowed", "You do not have permission to do that."),
        (404, "Page not found", "There is nothing here, or you cannot see it."),
        (405, "Not allowed", "That action is not available here."),
        (413, "File too large", "The file is larger than this site accepts."),
        (500, "Something went wrong", "The error has been logged. Please try again later."),
    ]:
        app.register_error_handler(code, _error_page(code, title, message))

    @app.errorhandler(429)
    def _too_many(error):
        return render_template(
            "core/error.html", code=429, title="Too many attempts",
            message="Please wait a few minutes before trying again.",
        ), 429

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # the check reports; it does not raise
            app.logger.exception("health check failed")
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="ok")



def _error_page(code, title, message):
    def handler(error):
        if code == 500:
            db.session.rollback()
        return render_template("core/error.html", code=code, title=title, message=message), code
    return handler
