"""The AWS branches of `senso trigger`, `senso status` and `senso redrive`, and the views both
runtimes share (the state timeline table and the batch summary).

`senso_cli.commands.trigger` decides local or AWS from `--env`; everything here talks to Step
Functions through `senso_cli.services.aws_runs` and only renders.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from handlers.errors import InvalidInputError
from senso_cli.aws.timeparse import parse_since
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import err, out, print_json
from senso_cli.services import aws_runs
from senso_cli.services import status as status_service
from senso_cli.services.environments import AwsTarget, reporting_database
from senso_cli.services.trigger import BatchSummary

STATUSES = {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def timeline_table(history: list[dict[str, Any]], progress: dict[str, int] | None) -> Table:
    table = Table(title="org evaluation", expand=False)
    for column in ("state", "status", "duration", "retries", "error"):
        table.add_column(column)
    for row in status_service.timeline(history):
        detail = row.status
        if row.name == "RunQuestionMatrixWithEvaluation" and progress and progress["total_cells"]:
            done = progress["completed_cells"] + progress["failed_cells"]
            detail += f" ({done}/{progress['total_cells']} cells)"
        duration = f"{row.duration_s:.2f}s" if row.duration_s is not None else "..."
        table.add_row(row.name, detail, duration, str(max(0, row.attempts - 1)), row.error or "")
    return table


def print_batch(summary: BatchSummary) -> None:
    label = " (simulated provider)" if summary.simulated else ""
    out.print(f"batch {summary.batch_id}: {summary.status}{label}")
    out.print(f"  cells {summary.cells}: {summary.completed} completed, {summary.failed} failed")
    rank = f"{summary.mean_rank:.2f}" if summary.mean_rank is not None else "-"
    out.print(
        f"  visibility {summary.visibility:.1f}%"
        f"  share of voice {summary.share_of_voice:.2f}%"
        f"  mean rank {rank}  citation rate {summary.citation_rate:.1f}%"
    )
    sentiment = ", ".join(f"{k} {v}" for k, v in summary.sentiment.items()) or "-"
    out.print(f"  sentiment: {sentiment}")
    out.print(f"  credits charged: {charged_text(summary)}")


def charged_text(summary: BatchSummary) -> str:
    """What this run charged, with the batch's total when earlier runs charged it."""
    text = f"{summary.credits_charged:.2f}"
    if summary.credits_batch_total != summary.credits_charged:
        text += f" by this run (batch total {summary.credits_batch_total:.2f})"
    return text


# -- trigger -----------------------------------------------------------------------------------


def trigger(
    target: AwsTarget,
    settings: Any,
    org_ref: str,
    *,
    wait: bool | None,
    day: date,
    json_output: bool,
    poll_interval: float,
) -> None:
    db = reporting_database(settings, target.environment)
    org = aws_runs.resolve_org(db, org_ref)
    sfn = target.stepfunctions()
    started = aws_runs.trigger_org(sfn, target.state_machine_arn, org, day)
    if db is None:
        err.print("the database is not reachable: batch progress cannot be shown")
    follow = wait if wait is not None else (sys.stdout.isatty() and not json_output)
    if started.outcome == "already_running":
        err.print(f"an execution for {org.label} on {day} is already running: {started.name}")
    elif started.previous_status == "SUCCEEDED":
        err.print(
            f"attempt {started.attempt - 1} already succeeded; attempt {started.attempt} "
            "will find the batch complete unless it was reset"
        )
    if not follow:
        if json_output:
            print_json(
                {
                    "execution_arn": started.execution_arn,
                    "name": started.name,
                    "outcome": started.outcome,
                    "status": "RUNNING",
                }
            )
        elif started.outcome == "started":
            out.print(f"started {started.execution_arn}")
            out.print(f"follow with `senso --env {target.name} status {started.name}`")
        return
    snapshot = _follow_live(
        sfn, started.execution_arn, db, org.org_id, day, poll_interval, err if json_output else out
    )
    _finish(snapshot, json_output)


def _follow_live(
    sfn: Any, arn: str, db: Any, org_id: str, day: date, interval: float, screen: Console
) -> aws_runs.RunSnapshot:
    last: aws_runs.RunSnapshot | None = None
    with Live(console=screen, refresh_per_second=4, transient=False) as live:
        for last in aws_runs.follow(
            sfn, arn, db=db, org_id=org_id, day=day, interval=interval, sleep=time.sleep
        ):
            live.update(timeline_table(last.history, last.progress))
    assert last is not None
    return last


def _finish(snapshot: aws_runs.RunSnapshot, json_output: bool) -> None:
    execution = snapshot.execution
    if json_output:
        print_json(
            {
                "execution_arn": execution.execution_arn,
                "status": execution.status,
                "error": execution.error,
                "cause": execution.cause,
                "batch": snapshot.batch.__dict__ if snapshot.batch else None,
            }
        )
    else:
        if snapshot.batch is not None:
            print_batch(snapshot.batch)
        out.print(f"execution {execution.execution_arn}: {execution.status}")
        if execution.status != "SUCCEEDED" and execution.error:
            err.print(f"error: {execution.error}: {execution.cause or ''}")
    if execution.status not in ("SUCCEEDED", "RUNNING"):
        raise typer.Exit(EXIT_FAILED)


# -- status ------------------------------------------------------------------------------------


def status(
    target: AwsTarget,
    settings: Any,
    execution: str | None,
    *,
    org: str | None,
    status_filter: str | None,
    since: str | None,
    json_output: bool,
) -> None:
    sfn = target.stepfunctions()
    if execution:
        arn = aws_runs.execution_ref(target.state_machine_arn, execution)
        org_id, day = aws_runs.org_day_of(arn.rsplit(":", 1)[-1])
        db = reporting_database(settings, target.environment) if org_id else None
        snap = aws_runs.snapshot(sfn, arn, db=db, org_id=org_id, day=day)
        run = snap.execution
        if json_output:
            print_json(
                {
                    "execution_arn": run.execution_arn,
                    "name": run.name,
                    "status": run.status,
                    "error": run.error,
                    "cause": run.cause,
                    "redrive_count": run.redrive_count,
                    "start_date": run.start_date,
                    "stop_date": run.stop_date,
                    "states": [r.as_dict() for r in status_service.timeline(snap.history)],
                }
            )
            return
        out.print(f"{run.name}: {run.status}")
        out.print(timeline_table(snap.history, snap.progress))
        return
    org_id = None
    if org:
        org_id = aws_runs.resolve_org(reporting_database(settings, target.environment), org).org_id
    runs = aws_runs.list_runs(
        sfn,
        target.state_machine_arn,
        status=status_filter.upper() if status_filter else None,
        since=parse_since(since) if since else None,
        org_id=org_id,
    )
    if json_output:
        print_json(
            [
                {
                    "name": r.name,
                    "execution_arn": r.execution_arn,
                    "status": r.status,
                    "start_date": r.start_date,
                    "stop_date": r.stop_date,
                    "redrive_count": r.redrive_count,
                }
                for r in runs
            ]
        )
        return
    table = Table()
    for column in ("execution", "status", "started", "duration", "redrives"):
        table.add_column(column)
    for r in runs:
        duration = (r.stop_date - r.start_date).total_seconds() if r.stop_date else None
        table.add_row(
            r.name,
            r.status,
            r.start_date.strftime("%Y-%m-%d %H:%M:%S"),
            f"{duration:.1f}s" if duration is not None else "...",
            str(r.redrive_count),
        )
    out.print(table if runs else "no executions")


# -- redrive -----------------------------------------------------------------------------------


def redrive(
    target: AwsTarget,
    execution: str | None,
    *,
    since: str | None,
    status_filter: str,
    dry_run: bool,
    json_output: bool,
) -> None:
    sfn = target.stepfunctions()
    if execution:
        arn = aws_runs.execution_ref(target.state_machine_arn, execution)
        result: dict[str, Any]
        if dry_run:
            run = sfn.describe_execution(arn)
            result = {"execution_arn": arn, "status": run.status, "action": "would_redrive"}
        else:
            when = sfn.redrive_execution(arn)
            result = {"execution_arn": arn, "action": "redriven", "redrive_date": when}
        if json_output:
            print_json(result)
        else:
            out.print(f"{result['action'].replace('_', ' ')}: {arn}")
        return
    if since is None:
        raise InvalidInputError(
            "give an EXECUTION, or --since (with --status) to redrive in bulk",
            hint="e.g. senso redrive --since 24h --status FAILED --dry-run",
        )
    outcomes = aws_runs.redrive_many(
        sfn,
        target.state_machine_arn,
        since=parse_since(since),
        status=status_filter.upper(),
        dry_run=dry_run,
    )
    if json_output:
        print_json([o.__dict__ for o in outcomes])
    else:
        table = Table(title=f"redrive {status_filter.upper()} since {since}")
        for column in ("execution", "status", "action", "reason"):
            table.add_column(column)
        for o in outcomes:
            table.add_row(o.name, o.status, o.action.replace("_", " "), o.reason or "")
        out.print(table if outcomes else f"no {status_filter.upper()} executions since {since}")
    if any(o.action == "failed" for o in outcomes):
        raise typer.Exit(EXIT_FAILED)
