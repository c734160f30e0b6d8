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
from handlers.pacing import DEFAULT_STARTS_PER_SECOND
from senso_cli.aws.throttle import RateLimiter
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.factory import routing_store
from senso_cli.local.runtime import LocalRuntime
from senso_cli.output import err, out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import routing
from senso_cli.services import trigger_batch as service
from senso_cli.services.aws_runs import SfnExecutions
from senso_cli.services.days import parse_batch_day
from senso_cli.services.environments import aws_target, reporting_database

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
    concurrency: Annotated[
        int | None,
        typer.Option(help="Starts in flight (AWS, default 8) or runs at once (local, default 2)."),
    ] = None,
    rate: Annotated[
        str,
        typer.Option(
            help="At most this many StartExecution calls per second (AWS); the default keeps "
            "the executions' Fargate RunTask calls under Fargate's rate."
        ),
    ] = f"{DEFAULT_STARTS_PER_SECOND:g}/s",
    day: Annotated[
        str | None, typer.Option(help="UTC day of the batches, YYYY-MM-DD (default today).")
    ] = None,
    target_opt: Annotated[
        str | None,
        typer.Option("--target", help="sfn or inngest for every org (default: the rollout)."),
    ] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Start the workflow for many orgs: from a file, all of them, or those scheduled on a day.

    Each org goes where the rollout routes it; orgs routed to Inngest are listed and left to
    the legacy schedule, as the dispatcher does. `--target sfn` starts them all here.

    Execution names are deterministic per org, day and attempt, so re-running the same command
    starts only what is missing: running executions are reported as already running and
    succeeded ones as already succeeded. On AWS the starts are rate limited and back off when
    throttled. Locally each started execution runs to its end here, `--concurrency` at a time.

    Exit 0 when nothing failed, 1 when some orgs could not be started (listed with reasons).
    """
    app_state = state(ctx)
    settings = app_state.loaded.settings
    batch_day = parse_batch_day(day)
    per_second = parse_rate(rate)
    target = aws_target(settings)
    db = reporting_database(settings, target.environment) if target else app_state.db
    refs = service.select_orgs(
        db, orgs_file=orgs, all_orgs=all_orgs, schedule_day=schedule_day, today=batch_day
    )
    override = routing.parse_target(target_opt)
    store = routing_store(state(ctx))
    refs, routed_away = service.split_by_route(
        db, refs, lambda org_id: routing.decide(store, org_id, override)
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
        task = progress.add_task("starting executions", total=len(refs))

        def advance(item: service.BatchItem) -> None:
            progress.advance(task)

        if target is not None:
            limiter = RateLimiter(per_second, burst=max(1, int(per_second)))
            api = SfnExecutions(target.stepfunctions(), target.state_machine_arn, limiter=limiter)
            report = service.trigger_aws(
                api, refs, batch_day, db=db, concurrency=concurrency or 8, on_item=advance
            )
        else:
            runtime = LocalRuntime(app_state.db, settings)
            report = service.trigger_local(
                runtime, refs, batch_day, concurrency=concurrency or 2, on_item=advance
            )
    report.items.extend(routed_away)
    _render(report, batch_day, json_output)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)


def _render(report: service.BatchReport, day: date, json_output: bool) -> None:
    counts = report.counts()
    if json_output:
        print_json({"day": day, "counts": counts, "items": [i.__dict__ for i in report.items]})
        return
    table = Table(title=f"trigger-batch {day}")
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
