"""Accounts: sign-in, account requests, invitations, passwords, profiles and administration."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app):
    from . import admin, cli, provides, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    cli.init_app(app)
    provides.register(app)
