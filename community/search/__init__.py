"""Site-wide search: one index over every feature's content, filtered by the permission policy.

Feature areas register sources with `community.content.register_source` and announce changes;
this package listens, keeps the documents in the backend chosen by SEARCH_BACKEND (see
`backend`: the Whoosh index of `engine`, or PostgreSQL in `postgres`) and serves `/search`.
"""
import click
from flask import Blueprint

bp = Blueprint("search", __name__)


def init_app(app):
    from .. import content, ui
    from . import backend, models, views  # noqa: F401  (routes register on import)

    ui.add_header_partial(app, "search/_header_form.html")

    backend.name(app)  # refuse an unknown or impossible choice at start-up
    app.register_blueprint(bp)
    # A module-level receiver connected once per process, whatever the number of apps.
    content.content_changed.connect(backend.on_content_changed, weak=False)
    content.content_purged.connect(backend.on_content_purged, weak=False)
    content.content_narrowing.connect(backend.on_content_narrowing, weak=False)

    @app.cli.group("search")
    def search_cli():
        """The site-wide search index."""

    @search_cli.command("reindex")
    def reindex_command():
        """Rebuild the search index from every registered source."""
        count = backend.rebuild()
        kinds = ", ".join(sorted(content.sources(app))) or "none"
        click.echo(f"Indexed {count} documents (sources: {kinds}) in {backend.where(app)}.")
