"""A self-contained HTML compare report: tables plus inline SVG charts, no network needed.

Charts: a bar per metric with its mismatch count, and for the cohort distributions an
overlaid histogram of both orchestrators' per-batch values on shared bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from senso_cli.services.compare.metrics import METRIC_BY_NAME, SIDE_LABELS, SIDES
from senso_cli.services.compare.provenance import Provenance
from senso_cli.services.compare.result import CompareResult
from senso_cli.services.compare.tables import header, sections

COLOURS = {"step_functions": "#d97706", "inngest": "#2563eb"}
BINS = 20
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #111; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f3f4f6; }
.verdict { font-size: 1.4rem; font-weight: bold; padding: 0.6rem 1rem; border-radius: 6px; }
.PASS { background: #dcfce7; } .FAIL { background: #fee2e2; } .NODATA { background: #fef9c3; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; } figcaption { font-size: 0.9rem; color: #444; }
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def bar_chart(values: dict[str, int], *, width: int = 520, bar: int = 18) -> str:
    """Horizontal bars, one per label."""
    height = bar * len(values) + 10
    top = max(values.values(), default=0) or 1
    label_width = 190
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="mismatches per metric">'
    ]
    for index, (label, value) in enumerate(values.items()):
        y = 5 + index * bar
        length = (width - label_width - 40) * value / top
        colour = "#dc2626" if value else "#16a34a"
        parts.append(
            f'<text x="0" y="{y + bar * 0.7:.1f}" font-size="11">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{max(length, 1):.1f}" '
            f'height="{bar - 5}" fill="{colour}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar * 0.7:.1f}" '
            f'font-size="11">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(series: dict[str, list[float]], *, width: int = 360, height: int = 160) -> str:
    """Overlaid histograms of each side's values on the same bins."""
    values = [v for side in SIDES for v in series.get(side, []) if math.isfinite(v)]
    if not values:
        return "<p>no data</p>"
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, BINS + 1)
    counts = {
        side: np.histogram(np.asarray(series.get(side, []), dtype="float64"), bins=edges)[0]
        for side in SIDES
    }
    top = max(int(c.max()) for c in counts.values()) or 1
    plot_h = height - 30
    step = (width - 20) / BINS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
        f'<line x1="10" y1="{plot_h + 5}" x2="{width - 10}" y2="{plot_h + 5}" stroke="#999"/>',
    ]
    for side in SIDES:
        for index, count in enumerate(counts[side]):
            if not count:
                continue
            bar_h = plot_h * int(count) / top
            parts.append(
                f'<rect x="{10 + index * step:.1f}" y="{plot_h + 5 - bar_h:.1f}" '
                f'width="{step - 1:.1f}" height="{bar_h:.1f}" fill="{COLOURS[side]}" '
                f'fill-opacity="0.5"><title>{escape(SIDE_LABELS[side])}: {count}</title></rect>'
            )
    parts.append(
        f'<text x="10" y="{height - 5}" font-size="10">{low:.4g}</text>'
        f'<text x="{width - 10}" y="{height - 5}" font-size="10" text-anchor="end">'
        f"{high:.4g}</text></svg>"
    )
    return "".join(parts)


def _legend() -> str:
    return " ".join(
        f'<span style="color:{COLOURS[side]}">&#9632; {escape(SIDE_LABELS[side])}</span>'
        for side in SIDES
    )


def render_html(result: CompareResult, made: Provenance | None = None) -> str:
    verdict = result.verdict
    mismatches = {
        summary.metric: summary.mismatches
        for summary in result.paired.summaries
        if not summary.informational
    }
    body = [
        f"<h1>{escape(header(result))}</h1>",
        f'<p class="meta">{escape(made.line())}</p>' if made else "",
        f'<p class="verdict {verdict.replace(" ", "")}">{escape(verdict)}</p>',
        f"<p>{escape(result.summary())}</p>",
        "<h2>Mismatches per metric</h2>",
        bar_chart(mismatches),
    ]
    for title, headers, rows in sections(result):
        body.append(f"<h2>{escape(title)}</h2>")
        body.append(_table(headers, rows) if rows else "<p>none</p>")
    body.append(f"<h2>Distributions per batch</h2><p>{_legend()}</p><div class='charts'>")
    for name, series in result.cohorts.distributions.items():
        label = METRIC_BY_NAME[name].label
        body.append(f"<figure>{histogram(series)}<figcaption>{escape(label)}</figcaption></figure>")
    body.append("</div>")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>senso compare: {escape(verdict)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
