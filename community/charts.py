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
    """Horizontal bars with their count and percent written beside them."""
    label_width, bar_width, row = 230, 300, 28
    height = row * len(bars) + 8
    parts = [f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
             f'viewBox="0 0 {label_width + bar_width + 110} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-t">{escape(title)}</title>',
             f'<desc id="{chart_id}-d">{escape("; ".join(f"{b.label}: {b.count} ({b.percent:.0f}%)" for b in bars))}</desc>']
    widest = max((bar.percent for bar in bars), default=0) or 100
    for index, bar in enumerate(bars):
        y = 4 + index * row
        width = round(bar_width * bar.percent / widest, 1)  # the longest bar fills the width
        label = bar.label if len(bar.label) <= 30 else bar.label[:29] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" class="chart-label">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="18" rx="2" fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + width + 6}" y="{y + 17}" class="chart-value">'
                     f'{bar.count} ({bar.percent:.0f}%)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
