"""California's counties drawn on the server as SVG, each filled by its implementation stage.

No JavaScript: the map is an `<svg role="img">` with a title and a description, and the page puts
the same data in a table beside it. Bar charts are the core's (`community.charts`).
"""
import json
from functools import lru_cache
from importlib import resources

from markupsafe import Markup, escape

from ..vocabulary import IMPLEMENTATION_STAGES

#: One colour per stage, light to dark, readable with black text in the legend.
STAGE_COLOURS = {
    "exploring": "#e3f1f4",
    "planning": "#b5dbe3",
    "initial": "#7cbccb",
    "full": "#3f93aa",
    "sustaining": "#1c6b80",
}
NO_ANSWER = "#f2f2f2"


@lru_cache(maxsize=1)
def _county_shapes():
    data = resources.files("community.surveys").joinpath("data/california-counties.json").read_text()
    return json.loads(data)


def county_map(chart_id, title, stages):
    """California's 58 counties, each filled by its stage ({county name: stage key})."""
    shapes = _county_shapes()
    labels = dict(IMPLEMENTATION_STAGES)
    counted = {key: sum(1 for s in stages.values() if s == key) for key, _ in IMPLEMENTATION_STAGES}
    summary = "; ".join(f"{labels[key]}: {n} counties" for key, n in counted.items() if n)
    width, height = shapes["width"], shapes["height"]
    parts = [f'<svg class="county-map" id="{chart_id}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape(summary or "No county has answered yet.")} '
             f'The table beside the map lists every county.</desc>']
    for name, path in sorted(shapes["counties"].items()):
        stage = stages.get(name)
        fill = STAGE_COLOURS.get(stage, NO_ANSWER)
        tip = f"{name}: {labels[stage]}" if stage else f"{name}: no answer"
        parts.append(f'<path d="{path}" fill="{fill}" stroke="#5b6770" stroke-width="0.6">'
                     f'<title>{escape(tip)}</title></path>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stage_legend():
    return [(key, label, STAGE_COLOURS[key]) for key, label in IMPLEMENTATION_STAGES]
