"""Peer-cluster forums: cluster pages, threads and replies, notifications and moderation."""
import os

from flask import Blueprint

bp = Blueprint("forums", __name__, template_folder="templates")


def init_app(app):
    from . import cli, moderation_views, provides, replies, views  # noqa: F401  (routes register on import)

    app.config.setdefault("LIMIT_FORUM_POST",
                          os.environ.get("LIMIT_FORUM_POST", "6 per minute; 60 per day"))
    app.config.setdefault("FORUM_MAX_POST_CHARS", int(os.environ.get("FORUM_MAX_POST_CHARS", 20000)))
    app.register_blueprint(bp)
    cli.init_app(app)
    provides.register(app)
