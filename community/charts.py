"""Bar charts drawn on the server as SVG, for results and dashboards.

No JavaScript: each chart is an `<svg role="img">` with a title and a description that say what it
shows, and pages put the same figures in a table beside it.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

BAR = "#2f6f8f"


@dataclass
class Bar:
    label: str
    count: int
    percent: float


def bar_chart(chart_id, title, bars):
    """Horizontal bars, each with its label above it and its count and percent beside it.

    The label sits on its own line (not in a column left of the bar) so the chart stays narrow:
    drawn 360 units wide it is shown near its natural size on a phone as on a laptop, and its
    text never shrinks below reading size.
    """
    width, bar_width, row = 360, 270, 44
    height = row * len(bars) + 4
    parts = [f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape("; ".join(f"{b.label}: {b.count} ({b.percent:.0f}%)" for b in bars))}</desc>']
    widest = max((bar.percent for bar in bars), default=0) or 100
    for index, bar in enumerate(bars):
        y = 2 + index * row
        length = round(bar_width * bar.percent / widest, 1)  # the longest bar fills the width
        label = bar.label if len(bar.label) <= 52 else bar.label[:51] + "…"
        parts.append(f'<text x="0" y="{y + 14}" class="chart-label">{escape(label)}</text>')
        parts.append(f'<rect x="0" y="{y + 20}" width="{length}" height="16" rx="2" fill="{BAR}"/>')
        parts.append(f'<text x="{length + 6}" y="{y + 33}" class="chart-value">'
                     f'{bar.count} ({bar.percent:.0f}%)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
