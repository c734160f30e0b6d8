"""The pieces every compare renderer shares: value formatting and the report's tables."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from senso_cli.services.compare.metrics import METRICS, SIDE_LABELS, SIDES
from senso_cli.services.compare.result import CompareResult

LIST_LIMIT = 20


def clean(value: Any) -> Any:
    """JSON-safe: NaN becomes null, infinity "inf", containers recursively."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf"
        return value
    if isinstance(value, dict):
        return {str(key): clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    return value


def fmt_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        if math.isinf(value):
            return "only one side"
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def fmt_rel(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "one side missing" if math.isinf(value) else f"{value:.2%}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * width for width in widths))
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(headers), line(["---"] * len(headers)), *map(line, rows)])


def sections(result: CompareResult) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables as (title, headers, rows), shared by the text renderers."""
    cohorts = result.cohorts
    labels = [SIDE_LABELS[side] for side in SIDES]
    counts = [
        [what, *(fmt_number(getattr(cohorts.sides[side], attr)) for side in SIDES)]
        for what, attr in (
            ("batches", "batches"),
            ("orgs", "orgs"),
            ("question runs", "cells"),
            ("completed batches", "completed_batches"),
            ("failed batches", "failed_batches"),
        )
    ]
    metrics = [
        [
            summary.metric,
            str(summary.pairs),
            "info" if summary.informational else str(summary.mismatches),
            fmt_number(summary.max_abs_diff),
            fmt_rel(summary.max_rel_diff),
            f"{summary.worst_org} {summary.worst_day}"
            if summary.worst_org and summary.max_abs_diff
            else "-",
        ]
        for summary in result.paired.summaries
    ]
    excused = [
        [summary.metric, summary.known_weakness]
        for summary in result.paired.summaries
        if summary.known_weakness
    ]
    samples = [
        [
            summary.metric,
            str(sample["org"]),
            str(sample["batch_day"]),
            *(fmt_number(sample[side]) for side in SIDES),
            fmt_number(sample["abs_diff"]),
            fmt_rel(sample["rel_diff"]),
        ]
        for summary in result.paired.summaries
        if not summary.passed
        for sample in summary.samples
    ]
    models = [
        [str(row["org"]), str(row["batch_day"]), str(row["model"]), *(str(row[s]) for s in SIDES)]
        for row in result.paired.model_diffs.head(LIST_LIMIT).to_dict("records")
    ]
    only = [
        [
            str(r["org"]),
            str(r["batch_day"]),
            SIDE_LABELS[str(r["orchestrator"])],
            str(r["status"]),
            fmt_number(r["cells"]),
        ]
        for r in result.paired.only_one_side.head(LIST_LIMIT).to_dict("records")
    ]
    cohort_rows = [
        [what, *(fmt_number(getattr(cohorts.sides[side], attr)) for side in SIDES), "-"]
        for what, attr in (
            ("completion rate", "completion_rate"),
            ("failure rate", "failure_rate"),
            ("duration p50 (s)", "duration_p50_s"),
            ("duration p95 (s)", "duration_p95_s"),
            ("cells per batch", "cells_per_batch"),
            ("cost per org-day", "cost_per_org_day"),
        )
    ]
    flagged = {flag.metric for flag in cohorts.flags}
    for metric in METRICS:
        cohort_rows.append(
            [
                f"{metric.name} mean" + (" (!)" if metric.name in flagged else ""),
                *(fmt_number(cohorts.sides[side].metrics[metric.name].mean) for side in SIDES),
                fmt_rel(cohorts.noise[metric.name]),
            ]
        )
    return [
        ("Counts per side", ["", *labels], counts),
        (
            f"Paired batches: {result.pair_count} (tolerance {result.tolerance:.2%})",
            ["metric", "pairs", "mismatches", "max abs diff", "max rel diff", "worst"],
            metrics,
        ),
        (
            "Differences excused as known old-system weaknesses (domain.md 8)",
            ["metric", "why"],
            excused,
        ),
        ("Mismatch samples", ["metric", "org", "day", *labels, "abs diff", "rel diff"], samples),
        ("Cells per model that differ", ["org", "day", "model", *labels], models),
        (
            f"Only on one side: {len(result.paired.only_one_side)} batches",
            ["org", "day", "orchestrator", "status", "cells"],
            only,
        ),
        (
            f"Cohorts (repeat runs for noise: {cohorts.repeat_runs}; (!) = beyond noise)",
            ["", *labels, "noise p95"],
            cohort_rows,
        ),
    ]


def header(result: CompareResult) -> str:
    scope = f" for org {result.org}" if result.org else ""
    return (
        f"compare Step Functions vs Inngest{scope}: batch days {result.since:%Y-%m-%d} .. "
        f"{result.until:%Y-%m-%d}, tolerance {result.tolerance:.2%}"
    )
