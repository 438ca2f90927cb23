"""Template filters and globals shared by every page."""
from flask import current_app
from flask_login import current_user
from markupsafe import Markup

from . import ui
from .permissions import can
from .timeutil import format_pacific, to_pacific
from .vocabulary import PROGRAM_LABELS


def init_app(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(can=can, page_urls=ui.page_urls)
    app.jinja_env.filters["pacific"] = format_pacific
    app.jinja_env.filters["pacific_date"] = lambda v: format_pacific(v, "%a, %b %-d, %Y").rsplit(" ", 1)[0] if v else ""
    app.jinja_env.filters["isodate"] = lambda v: to_pacific(v).isoformat(timespec="seconds") if v else ""
    app.jinja_env.filters["program_label"] = lambda key: PROGRAM_LABELS.get(key, key)
    app.jinja_env.filters["nl2br"] = lambda v: Markup("<br>").join((v or "").splitlines())

    @app.context_processor
    def _layout_context():
        return {
            "site_name": current_app.config["SITE_NAME"],
            "nav_items": ui.nav_items(current_app, current_user),
            "feature_stylesheets": ui.stylesheets(current_app),
            # Called by the layout, so a partial's loader runs only when the header renders.
            "header_partials": lambda place="menu": ui.header_partials(current_app, place, current_user),
        }
