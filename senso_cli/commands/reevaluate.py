"""`senso reevaluate`: evaluate an org's stored answers again, without calling any provider."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from handlers.reevaluate import METRICS, ReevaluationReport
from senso_cli.aws.timeparse import parse_since
from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services.reevaluate import reevaluate as run_reevaluate
from senso_cli.services.reevaluate import report_document

MAX_RUNS_SHOWN = 20


def render(report: ReevaluationReport) -> None:
    verb = "would change" if report.dry_run else "changed"
    out.print(
        f"{report.org_name}: {report.examined} stored answers since "
        f"{report.since:%Y-%m-%d %H:%M} UTC re-evaluated ({report.evaluator}); "
        f"{report.changed} {verb}" + ("" if report.dry_run else f", {report.written} written"),
        markup=False,
    )
    table = Table(title="changes per metric", title_justify="left")
    table.add_column("metric")
    table.add_column("answers", justify="right")
    for metric in METRICS:
        table.add_row(metric, str(report.changed_by_metric[metric]))
    out.print(table)
    for run in report.runs[:MAX_RUNS_SHOWN]:
        detail = "; ".join(f"{c.metric} {c.before!r} -> {c.after!r}" for c in run.changes)
        out.print(f"{run.question_run_id}  {detail}", markup=False, soft_wrap=True)
    if report.changed > MAX_RUNS_SHOWN:
        out.print(f"... and {report.changed - MAX_RUNS_SHOWN} more (see --json)", markup=False)


def reevaluate(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The org (slug or id).", show_default=False)],
    since: Annotated[
        str, typer.Option("--since", help="Answers stored since: an age (7d, 24h) or ISO time.")
    ] = "7d",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Re-evaluate an org's stored answers with the current evaluator; no provider is called.

    Each stored answer is evaluated again and compared metric by metric with what is stored;
    changed evaluations are updated in place (the run, its charge and the batch are not
    touched). Running it again changes nothing. Exit code 0, or 2 for bad input.
    """
    app = state(ctx)
    report = run_reevaluate(app.db, app.loaded.settings, org, parse_since(since), dry_run=dry_run)
    if json_output:
        print_json(report_document(report))
        return
    render(report)
