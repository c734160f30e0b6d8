"""`senso compare`: check that Step Functions and Inngest produce the same results.

Exit codes: 0 PASS, 1 FAIL (or no paired batches to vouch for), 2 bad input.
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer

from handlers.errors import InvalidInputError
from senso_cli.aws.timeparse import parse_since
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import err, out
from senso_cli.params import EnvOpt, JsonOpt, json_format, parse_tolerance
from senso_cli.services.compare import compare as run_compare
from senso_cli.services.compare.provenance import provenance
from senso_cli.services.compare.report import Format, render


class ReportFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"


def parse_moment(value: str, option: str) -> datetime:
    try:
        return parse_since(value)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message.replace("--since", option), hint=exc.hint) from None


def compare(
    ctx: typer.Context,
    since: Annotated[
        str, typer.Option(help="Start of the window: an age (7d, 12h) or an ISO-8601 time.")
    ] = "7d",
    until: Annotated[
        str | None, typer.Option(help="End of the window, same formats (default: now).")
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this org (slug or id).")] = None,
    tolerance: Annotated[
        str, typer.Option(help="Largest relative difference that still passes: 1% or 0.01.")
    ] = "1%",
    output_format: Annotated[
        ReportFormat, typer.Option("--format", help="Report format.")
    ] = ReportFormat.table,
    output: Annotated[
        Path | None, typer.Option(help="Write the report to this file instead of stdout.")
    ] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Compare Step Functions and Inngest batches: paired shadow runs and both cohorts.

    Pairs are orgs evaluated by both orchestrators on the same day; each metric (cells,
    failed cells, visibility, share of voice, mean rank, citation rate, sentiment mix,
    competitors per answer, credits, duration) must agree within the tolerance. Exit code 0
    PASS, 1 FAIL or nothing to compare, 2 bad input.
    """
    fmt = cast(Format, json_format(json_output, output_format.value, ReportFormat.table.value))
    db = state(ctx).db
    result = run_compare(
        db,
        parse_moment(since, "--since"),
        parse_moment(until, "--until") if until else None,
        org=org,
        tolerance=parse_tolerance(tolerance),
    )
    text = render(result, fmt, provenance(state(ctx).loaded.settings.env, db.url))
    if output is not None:
        output.write_text(text)
        err.print(f"wrote {output}")
        out.print(result.summary(), markup=False)
    else:
        # Plain print: reports must not be re-wrapped or styled by Rich.
        sys.stdout.write(text)
    if not result.passed:
        raise typer.Exit(EXIT_FAILED)
