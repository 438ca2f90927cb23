"""Places where feature areas plug into the shared layout: navigation, page sections, demo data.

Each feature's `init_app(app)` registers here, so the core never imports a feature area.
"""
from dataclasses import dataclass, field
from typing import Callable

from flask import request, url_for

#: Pages that accept sections from feature areas, and what their loaders receive.
#: "home": load(user); "profile": load(person, viewer); "cluster": load(cluster, viewer).
PAGES = ("home", "profile", "cluster")


@dataclass(order=True)
class NavItem:
    order: int
    label: str = field(compare=False)
    endpoint: str = field(compare=False)
    #: visible(user) -> bool; asks the permission policy.
    visible: Callable = field(compare=False, default=lambda user: True)


@dataclass(order=True)
class Section:
    order: int
    #: Partial template rendered with the dict that `load(...)` returns.
    template: str = field(compare=False)
    #: load(...) -> dict of template context, or None to leave the section out.
    load: Callable = field(compare=False)


@dataclass
class HeaderPart:
    #: "menu" or "bar" (see `add_header_partial`).
    place: str
    template: str
    #: load(user) -> dict of template context, or None to leave the partial out.
    load: Callable


@dataclass(order=True)
class DemoSeed:
    order: int
    name: str = field(compare=False)
    #: run() adds the feature's demo data; the seed command commits.
    run: Callable = field(compare=False)


def _registry(app):
    return app.extensions.setdefault(
        "community.ui", {"nav": [], "seeds": [], "stylesheets": [], "header": [], **{page: [] for page in PAGES}}
    )


def add_stylesheet(app, filename):
    """Load a feature's stylesheet (under static/) on every page: its sections appear on shared pages."""
    if filename not in _registry(app)["stylesheets"]:
        _registry(app)["stylesheets"].append(filename)


def add_header_partial(app, template, place="menu", load=None):
    """Show a partial in the site header on every page.

    :param place: "menu", inside the menu (the search box); "bar", in the header bar beside it,
        for signed-in people and visible while a phone's menu is folded (the bell).
    :param load: load(user) -> dict of context (the partial sees it as `section`), or None to
        leave the partial out.
    """
    _registry(app)["header"].append(HeaderPart(place, template, load or (lambda user: {})))


def header_partials(app, place="menu", user=None):
    """[(template, context)] of the header's partials in `place`, leaving out empty ones."""
    found = []
    for part in _registry(app)["header"]:
        context = part.load(user) if part.place == place else None
        if context is not None:
            found.append((part.template, context))
    return found


def stylesheets(app):
    return list(_registry(app)["stylesheets"])


def add_nav(app, label, endpoint, order=50, visible=None):
    nav = _registry(app)["nav"]
    nav.append(NavItem(order, label, endpoint, visible or (lambda user: True)))
    nav.sort()
    app.extensions.pop("community.ui.visitor_nav", None)


def add_section(app, page, template, load, order=50):
    """Add a section to a shared page (see PAGES for what `load` receives)."""
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}")
    _registry(app)[page].append(Section(order, template, load))


def add_demo_seed(app, name, run, order=50):
    _registry(app)["seeds"].append(DemoSeed(order, name, run))


def nav_items(app, user):
    """The navigation `user` may see; a visitor's (not signed in) is the same every request."""
    if getattr(user, "is_authenticated", False):
        return [item for item in _registry(app)["nav"] if item.visible(user)]
    visitor_nav = app.extensions.get("community.ui.visitor_nav")
    if visitor_nav is None:
        visitor_nav = app.extensions["community.ui.visitor_nav"] = tuple(
            item for item in _registry(app)["nav"] if item.visible(user))
    return visitor_nav


def sections(app, page, *args):
    """[(template, context)] for a shared page, in order, leaving out empty sections."""
    found = []
    for section in sorted(_registry(app)[page]):
        context = section.load(*args)
        if context is not None:
            found.append((section.template, context))
    return found


def demo_seeds(app):
    return sorted(_registry(app)["seeds"])


def page_urls(endpoint):
    """`url(n)`: the URL of page n of the list this request shows (`endpoint`, this request's
    path arguments and query words, `page=n`). The rest of the URL is built once: a pager links
    up to nine pages. Query words never override the path's arguments, and none that starts
    with "_" reaches the router (`_external`, `_anchor`, …: its own options, not arguments)."""
    words = {name: value for name, value in request.args.items() if name != "page" and not name.startswith("_")}
    base = url_for(endpoint, **{**words, **(request.view_args or {})})
    joiner = "&" if "?" in base else "?"
    return lambda number: f"{base}{joiner}page={int(number)}"
