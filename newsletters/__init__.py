"""The Linkages newsletter: subscribers, a composer fed by the site's own content, reliable sending."""
import os

from flask import Blueprint

bp = Blueprint("newsletters", __name__, template_folder="templates")
#: The organizers' pages (composer, sending, subscribers): one blueprint, one guard (`manage.py`).
manage_bp = Blueprint("newsletters_manage", __name__, template_folder="templates")

#: Settings with their defaults; each may be set in the environment or in `create_app(config)`.
DEFAULTS = {
    #: Messages per second a worker sends at most (0: no limit).
    "NEWSLETTER_RATE": ("float", 20.0),
    #: Rows a worker claims at once; one SMTP connection per batch.
    "NEWSLETTER_BATCH_SIZE": ("int", 50),
    #: Attempts per recipient before the row is marked failed.
    "NEWSLETTER_MAX_ATTEMPTS": ("int", 3),
    #: Seconds before a temporarily refused recipient (4xx) is tried again; the retry happens in
    #: the running job if it is still sending, else at the next `send-due` after the lease.
    "NEWSLETTER_RETRY_SECONDS": ("int", 60),
    #: Seconds after which rows claimed by a silent worker may be taken over (> batch ÷ rate).
    "NEWSLETTER_LEASE_SECONDS": ("int", 300),
    #: Seconds one job sends before handing over to a fresh job (below RQ's 180 s timeout).
    "NEWSLETTER_JOB_SECONDS": ("int", 120),
    "NEWSLETTER_CONFIRM_DAYS": ("int", 7),
    "LIMIT_NEWSLETTER_SUBSCRIBE": ("str", "5 per minute; 20 per hour"),
    "LIMIT_NEWSLETTER_PREFERENCES": ("str", "20 per minute"),
}


def _load_settings(app):
    casts = {"int": int, "float": float, "str": str}
    for name, (kind, default) in DEFAULTS.items():
        if name not in app.config:
            value = os.environ.get(name)
            app.config[name] = casts[kind](value) if value else default


def init_app(app):
    from community import content, ui

    from . import blocks, cli, demo, manage, search, views  # noqa: F401  (routes register on import)
    ui.add_stylesheet(app, "css/newsletters.css")

    _load_settings(app)
    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    cli.init_app(app)
    ui.add_nav(app, "Newsletter", "newsletters.archive", order=60)
    ui.add_section(app, "profile", "newsletters/_profile_section.html", views.profile_section,
                   order=70)
    content.register_source(app, "newsletter", "Newsletters", search.fetch)
    # Connected once per process (blinker keeps one connection per function).
    content.content_purged.connect(blocks.on_content_purged, weak=False)
    ui.add_demo_seed(app, "newsletter", demo.seed_newsletter, order=50)
