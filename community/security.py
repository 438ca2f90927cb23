"""Sign-in sessions, security headers, safe redirects and error pages."""
from urllib.parse import urljoin, urlparse

from flask import jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import text

from .extensions import db, login_manager

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


def safe_next(target, fallback="core.home"):
    """Return `target` if it is a path on this site, else the fallback URL (no open redirect)."""
    if target:
        target = target.strip().replace("\\", "/")
        parts = urlparse(target)
        joined = urlparse(urljoin(request.host_url, target))
        if (not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//") and joined.netloc == request.host):
            return target
    return url_for(fallback)


@login_manager.user_loader
def _load_user(session_id):
    from .accounts.models import User

    user_id, _, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None  # deactivated or signed out everywhere: the session ends here
    return user


def init_app(app):
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
        if current_user and getattr(current_user, "is_authenticated", False):
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
