"""The Linkages newsletter: subscribers, a composer fed by the site's own content, reliable sending."""
from flask import Blueprint

bp = Blueprint("newsletters", __name__, template_folder="templates")
#: The organizers' pages (composer, sending, subscribers): one blueprint, one guard (`manage.py`).
manage_bp = Blueprint("newsletters_manage", __name__, template_folder="templates")

def init_app(app):
    from community import content, ui

    from . import blocks, cli, demo, manage, search, views  # noqa: F401  (routes register on import)
    ui.add_stylesheet(app, "css/newsletters.css")

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
