"""Peer-cluster forums: cluster pages, threads and replies, notifications and moderation."""
from flask import Blueprint

bp = Blueprint("forums", __name__, template_folder="templates")


def init_app(app):
    from . import cli, moderation_views, provides, replies, views  # noqa: F401  (routes register on import)

    app.register_blueprint(bp)
    cli.init_app(app)
    provides.register(app)
