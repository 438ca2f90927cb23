"""Peer-cluster forums: cluster pages, threads and replies, notifications and moderation."""
import os

from flask import Blueprint

bp = Blueprint("forums", __name__, template_folder="templates")


def init_app(app):
    from .. import content, ui
    from . import cli, demo, moderation_views, replies, sections, sharing, views  # noqa: F401  (routes register on import)
    ui.add_stylesheet(app, "css/forums.css")

    app.config.setdefault("LIMIT_FORUM_POST",
                          os.environ.get("LIMIT_FORUM_POST", "6 per minute; 60 per day"))
    app.config.setdefault("FORUM_MAX_POST_CHARS", int(os.environ.get("FORUM_MAX_POST_CHARS", 20000)))
    app.register_blueprint(bp)
    cli.init_app(app)
    ui.add_nav(app, "Clusters", "forums.clusters", order=20)
    ui.add_section(app, "home", "forums/_home_latest.html", sections.latest_in_clusters, order=20)
    ui.add_section(app, "profile", "forums/_profile_posts.html", sections.recent_posts, order=20)
    ui.add_demo_seed(app, "forums", demo.seed_forums, order=20)
    content.register_source(app, "thread", "Discussions", sharing.search_documents)
    content.register_provider(app, "forums.public_thread_card", sharing.public_thread_card)
    content.register_provider(app, "cards.for_path", sharing.card_for_path)
    content.register_provider(app, "audit.targets", sharing.audit_targets)
    content.register_provider(app, "cards.for_paths", sharing.cards_for_paths)
    content.register_provider(app, "mail.reply_handler", replies.handle)
    app.context_processor(sections.bell_context)
