"""`senso trigger-batch`: start the org evaluation for many orgs, safely re-runnable."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import err, out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import routing
from senso_cli.services import trigger_batch as service
from senso_cli.services.days import parse_batch_day

# The CLI's own calls are one DescribeExecution per org and a dispatcher start: Fargate's rate,
# which paced the starts before, is now the dispatcher's MaxConcurrency's business. Under the
# DescribeExecution quota; throttled calls back off anyway.
LOOKUPS_PER_SECOND = 20.0
_RATE = re.compile(r"^\s*(?P<rate>\d+(?:\.\d+)?)\s*(?:/\s*s)?\s*$")


def parse_rate(value: str) -> float:
    match = _RATE.match(value)
    if match is None or float(match["rate"]) <= 0:
        raise InvalidInputError(f"--rate {value!r} is not a rate", hint="e.g. --rate 50/s")
    return float(match["rate"])


def trigger_batch(
    ctx: typer.Context,
    orgs: Annotated[
        Path | None, typer.Option("--orgs", help="File with one org id or slug per line.")
    ] = None,
    all_orgs: Annotated[bool, typer.Option("--all", help="Every org.")] = False,
    schedule_day: Annotated[
        str | None,
        typer.Option(help="Orgs scheduled on this weekday: 0 (Monday) .. 6, a name, or today."),
    ] = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency",
            "--concurrency",
            help="Org executions running at once: the dispatcher's Map MaxConcurrency (default "
            "the setting dispatch_max_concurrency: locally 2, on AWS the environment's, 50).",
        ),
    ] = None,
    rate: Annotated[
        str,
        typer.Option(
            help="At most this many Step Functions calls per second while looking up today's "
            "executions and starting the dispatcher (AWS); throttled calls back off."
        ),
    ] = f"{LOOKUPS_PER_SECOND:g}/s",
    day: Annotated[
        str | None, typer.Option(help="UTC day of the batches, YYYY-MM-DD (default today).")
    ] = None,
    target_opt: Annotated[
        str | None,
        typer.Option("--target", help="sfn or inngest for every org (default: the rollout)."),
    ] = None,
    shadow: Annotated[
        bool,
        typer.Option(
            "--shadow",
            help="Shadow runs of every selected org, whatever the rollout: senso's shadow "
            "tables only (no product row, no credit), for `senso compare`.",
        ),
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Start the workflow for many orgs: from a file, all of them, or those scheduled on a day.

    The orgs go to one execution of the dispatcher state machine, whose Map starts each org's
    execution, at most `--max-concurrency` running at once: on AWS through Step Functions
    (this command returns once it started), locally on senso's runtime (it runs to the end
    here). Each org goes where the rollout routes it; orgs routed to Inngest are listed and
    left to the legacy schedule, as the dispatcher does. `--target sfn` starts them all here.

    Execution names are deterministic per org, day and attempt, so re-running the same command
    starts only what is missing: running executions are reported as already running and
    succeeded ones as already succeeded.

    Exit 0 when nothing failed, 1 when some orgs could not be started (listed with reasons).
    """
    app = state(ctx)
    batch_day = parse_batch_day(day)
    per_second = parse_rate(rate)
    override = routing.parse_target(target_opt)
    if shadow and override is not None:
        raise InvalidInputError("--shadow runs every selected org; it cannot take --target")
    runs = factory.runs(app)
    refs = service.select_orgs(
        runs.db, orgs_file=orgs, all_orgs=all_orgs, schedule_day=schedule_day, today=batch_day
    )
    routed_away: list[service.BatchItem] = []
    if not shadow:  # a shadow serves nobody: the rollout decides who serves live
        store = factory.routing_store(app)
        refs, routed_away = service.split_by_route(
            runs.db, refs, lambda org_id: routing.decide(store, org_id, override)
        )
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=json_output,
    )
    with progress:
        task = progress.add_task("looking up executions", total=len(refs))

        def advance(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        try:
            report = service.run_batch(
                runs,
                refs,
                batch_day,
                max_concurrency=max_concurrency,
                shadow=shadow,
                calls_per_second=per_second,
                on_progress=advance,
            )
        except KeyboardInterrupt:
            if runs.kind == "local":  # on AWS the dispatcher, once started, runs on regardless
                err.print(
                    "the executions running here were stopped (ABORTED); the same "
                    "`senso trigger-batch` starts them again and each resumes its batch"
                )
            raise
    report.items.extend(routed_away)
    _render(report, batch_day, json_output)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)


def _render(report: service.BatchReport, day: date, json_output: bool) -> None:
    counts = report.counts()
    if json_output:
        print_json(
            {
                "day": day,
                "shadow": report.shadow,
                "max_concurrency": report.max_concurrency,
                "dispatcher_executions": report.dispatcher_executions,
                "counts": counts,
                "items": [i.__dict__ for i in report.items],
            }
        )
        return
    title = f"trigger-batch {day}" + (" (shadow)" if report.shadow else "")
    table = Table(title=title)
    for column in ("org", "outcome", "execution", "reason"):
        table.add_column(column, overflow="fold")
    # Failures first: they are what the operator has to act on.
    order = {
        "failed": 0,
        "already_running": 1,
        "already_succeeded": 2,
        "started": 3,
        "routed_to_inngest": 4,
    }
    for item in sorted(report.items, key=lambda i: order[i.outcome]):
        outcome = item.outcome.replace("_", " ")
        if item.final_status:
            outcome += f" ({item.final_status.lower()})"
        name = item.execution_arn.rsplit(":", 1)[-1] if item.execution_arn else ""
        table.add_row(item.ref, outcome, name, item.reason or "")
    out.print(table)
    out.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
    for arn in report.dispatcher_executions:
        out.print(f"dispatcher {arn.rsplit(':', 1)[-1]}: at most {report.max_concurrency} at once")
