"""Render a CompareResult as text: table, json, csv, markdown or html.

Laid out like a data-diff report: counts per side, batches on one side only, per-metric
mismatch counts with the largest difference and sample rows, the tolerance, and a verdict.
Renderers return strings; the command decides where they go.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any, Literal

from senso_cli.services.compare.html import render_html
from senso_cli.services.compare.metrics import SIDES
from senso_cli.services.compare.provenance import Provenance
from senso_cli.services.compare.result import CompareResult
from senso_cli.services.compare.tables import clean, header, markdown_table, sections, text_table

Format = Literal["table", "json", "csv", "markdown", "html"]
FORMATS: tuple[Format, ...] = ("table", "json", "csv", "markdown", "html")


def as_dict(result: CompareResult) -> dict[str, Any]:
    cohorts = result.cohorts
    only = result.paired.only_one_side
    data: dict[str, Any] = clean(
        {
            "verdict": result.verdict,
            "summary": result.summary(),
            "tolerance": result.tolerance,
            "window": {"since": result.since.isoformat(), "until": result.until.isoformat()},
            "org": result.org,
            "sides": {
                side: {
                    "batches": cohorts.sides[side].batches,
                    "orgs": cohorts.sides[side].orgs,
                    "question_runs": cohorts.sides[side].cells,
                    "completed_batches": cohorts.sides[side].completed_batches,
                    "failed_batches": cohorts.sides[side].failed_batches,
                }
                for side in SIDES
            },
            "paired": {
                "pairs": result.pair_count,
                "failed_metrics": result.failed_metrics,
                "metrics": [
                    asdict(summary)
                    | {"passed": summary.passed, "orgs": result.mismatched_orgs(summary.metric)}
                    for summary in result.paired.summaries
                ],
                "model_differences": result.paired.model_diffs.to_dict("records"),
            },
            "only_one_side": only.drop(columns="org_id").to_dict("records"),
            "cohorts": {
                "sides": {side: asdict(cohorts.sides[side]) for side in SIDES},
                "noise": cohorts.noise,
                "repeat_runs": cohorts.repeat_runs,
                "flags": [asdict(flag) for flag in cohorts.flags],
            },
        }
    )
    return data


def render_table(result: CompareResult) -> str:
    parts = [header(result)]
    for title, headers, rows in sections(result):
        if rows:
            parts.append(f"{title}\n{text_table(headers, rows)}")
        else:
            parts.append(f"{title}: none")
    parts.append(result.summary())
    return "\n\n".join(parts) + "\n"


def render_markdown(result: CompareResult) -> str:
    parts = [f"# {header(result)}", f"**{result.summary()}**"]
    for title, headers, rows in sections(result):
        parts.append(f"## {title}")
        parts.append(markdown_table(headers, rows) if rows else "_none_")
    return "\n\n".join(parts) + "\n"


def render_csv(result: CompareResult) -> str:
    """One row per paired metric comparison, then one per batch found on one side only."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["section", "org", "batch_day", "metric", *SIDES, "abs_diff", "rel_diff", "result"]
    )
    for row in result.paired.diffs.to_dict("records"):
        outcome = "info" if row["informational"] else ("pass" if row["passed"] else "fail")
        values = [clean(row[side]) for side in SIDES]
        writer.writerow(
            [
                "paired",
                row["org"],
                row["batch_day"],
                row["metric"],
                *values,
                clean(row["abs_diff"]),
                clean(row["rel_diff"]),
                outcome,
            ]
        )
    for row in result.paired.only_one_side.to_dict("records"):
        present = {side: row["cells"] if row["orchestrator"] == side else "" for side in SIDES}
        writer.writerow(
            [
                "only_one_side",
                row["org"],
                row["batch_day"],
                "cells",
                *(present[side] for side in SIDES),
                "",
                "",
                "missing",
            ]
        )
    return buffer.getvalue()


def render(result: CompareResult, fmt: Format, made: Provenance | None = None) -> str:
    """The report in `fmt`; `made` (when, where, which senso) heads the HTML and JSON reports,
    the ones that are written to files and passed around."""
    if fmt == "json":
        document = as_dict(result)
        if made is not None:
            document["generated"] = asdict(made)
        return json.dumps(document, indent=2, default=str) + "\n"
    if fmt == "csv":
        return render_csv(result)
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "html":
        return render_html(result, made)
    return render_table(result)
