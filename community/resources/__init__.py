"""The resource library: county artifacts shared, versioned, extracted for search; the Toolkit."""
from flask import Blueprint

bp = Blueprint("resources", __name__, url_prefix="/library")


def init_app(app):
    from .. import content, ui
    from . import demo, files, search_source, sections, views  # noqa: F401  (routes register on import)
    from .manage import bp as manage_bp
    ui.add_stylesheet(app, "css/resources.css")

    app.config.setdefault("UPLOAD_ZIP_MAX_ENTRIES", 3000)
    app.config.setdefault("UPLOAD_ZIP_MAX_BYTES", 200 * 1024 * 1024)
    app.config.setdefault("EXTRACTION_ISOLATED", True)
    files.store_name(app)  # refuse an unknown FILE_STORE at start-up
    files.init_cli(app)
    app.register_blueprint(bp)
    app.register_blueprint(manage_bp)
    ui.add_nav(app, "Library", "resources.library", order=30)
    content.register_source(app, "resource", "Library resources", search_source.search_documents)
    content.register_provider(app, "resources.new_public", search_source.new_public)
    content.register_provider(app, "cards.for_path", search_source.card_for_path)
    content.register_provider(app, "cards.for_paths", search_source.cards_for_paths)
    ui.add_section(app, "home", sections.TEMPLATE, sections.home, order=30)
    ui.add_section(app, "profile", sections.TEMPLATE, sections.profile, order=40)
    ui.add_section(app, "cluster", sections.TEMPLATE, sections.cluster, order=40)
    ui.add_demo_seed(app, "library resources", demo.seed_library, order=30)
