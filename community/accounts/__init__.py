"""Accounts: sign-in, account requests, invitations, passwords, profiles and administration."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app):
    from .. import ui
    from ..permissions import can
    from . import admin, cli, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    cli.init_app(app)
    ui.add_nav(app, "People", "accounts.people", order=80,
               visible=lambda user: can(user, "view_members"))
    ui.add_nav(app, "Admin", "admin.people", order=90, visible=lambda user: can(user, "admin"))
