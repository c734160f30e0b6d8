"""How executions look, the same for every side (local runtime, Step Functions): the state
timeline, the batch summary, the run list and redrive outcomes, as text or one JSON document."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from handlers.executions import execution_name
from senso_cli.output import err, out, print_json
from senso_cli.runs import RedriveOutcome, Run, Snapshot, Started
from senso_cli.services import status as status_service
from senso_cli.services.batches import BatchSummary
from senso_cli.services.run_rows import RunRow


def table(*columns: str, title: str | None = None) -> Table:
    """A table whose cells fold instead of cutting identifiers and numbers short."""
    result = Table(title=title, expand=False)
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def timeline_table(history: list[dict[str, Any]], progress: dict[str, int] | None) -> Table:
    result = table("state", "status", "duration", "retries", "error", title="org evaluation")
    for row in status_service.timeline(history):
        detail = row.status
        if row.name == "RunQuestionMatrixWithEvaluation" and progress and progress["total_cells"]:
            done = progress["completed_cells"] + progress["failed_cells"]
            detail += f" ({done}/{progress['total_cells']} cells)"
        duration = f"{row.duration_s:.2f}s" if row.duration_s is not None else "..."
        result.add_row(row.name, detail, duration, str(max(0, row.attempts - 1)), row.error or "")
    return result


def charged_text(summary: BatchSummary) -> str:
    """What this run charged, with the batch's total when earlier runs charged it, and how
    many answers were simulated (those are free, never charged)."""
    text = f"{summary.credits_charged:.2f}"
    if summary.credits_batch_total != summary.credits_charged:
        text += f" by this run (batch total {summary.credits_batch_total:.2f})"
    if summary.simulated_cells and summary.simulated_cells >= summary.completed:
        text += " (simulated answers are free)"
    elif summary.simulated_cells:
        text += f" ({summary.simulated_cells} simulated answers free)"
    return text


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


# -- trigger -----------------------------------------------------------------------------------


def started_notes(started: Started) -> None:
    """What the operator should know before the run is shown (on stderr)."""
    for note in started.notes:
        err.print(note)
    if started.outcome == "already_running":
        err.print(
            f"an execution for {started.org_label} on {started.day} is already running: "
            f"{started.name}"
        )
    elif started.previous_status in ("ABORTED", "FAILED", "TIMED_OUT"):
        previous = execution_name(started.org_id, started.day, started.attempt - 1)
        err.print(
            f"attempt {started.attempt - 1} ({previous}) ended {started.previous_status} or "
            f"lost its worker; this is attempt {started.attempt}. `senso redrive {previous}` "
            "resumes that one instead"
        )
    elif started.previous_status == "SUCCEEDED":
        err.print(
            f"attempt {started.attempt - 1} already succeeded; attempt {started.attempt} "
            "will find the batch complete unless it was reset"
        )


def interrupted(
    started: Started, stopped: Run | None, kind: str, follow_hint: str, redrive_hint: str
) -> None:
    """After Ctrl-C: what became of the run (`kind` is the runs backend's), and how to resume
    or stop it."""
    if stopped is not None:
        err.print(
            f"interrupted: {started.name} stopped ({stopped.status}); "
            f"`{redrive_hint}` resumes it from the step it was in, "
            f"`senso trigger --org {started.org_label}` starts the next attempt"
        )
        return
    if started.worker_pid:
        where = f"worker pid {started.worker_pid}"
        stop = f"`kill {started.worker_pid}` stops it, then `{redrive_hint}` resumes it"
    elif kind == "local":
        # Another host's process runs it (a shared database): only that host can stop it.
        where = "in a senso process on another host"
        stop = f"stop that process, then `{redrive_hint}` resumes it"
    else:
        where = "on Step Functions"
        stop = (
            f"`aws stepfunctions stop-execution --execution-arn {started.execution_arn}` "
            f"stops it, then `{redrive_hint}` resumes it"
        )
    err.print(
        f"detached: {started.name} keeps running ({where}); follow it with `{follow_hint}`; " + stop
    )


def render_started(started: Started, json_output: bool, follow_hint: str) -> None:
    """A run that is not followed: what was started and how to follow it."""
    if json_output:
        document: dict[str, Any] = {
            "execution_arn": started.execution_arn,
            "name": started.name,
            "outcome": started.outcome,
            "status": "RUNNING",
        }
        if started.worker_pid is not None:
            document["worker_pid"] = started.worker_pid
        print_json(document)
    elif started.outcome == "started":
        worker = f" (worker pid {started.worker_pid})" if started.worker_pid else ""
        out.print(f"started {started.execution_arn}{worker}")
        out.print(f"follow with `{follow_hint}`")


def render_final(
    snapshot: Snapshot, json_output: bool, *, shadow: dict[str, Any] | None = None
) -> None:
    run = snapshot.run
    if json_output:
        document: dict[str, Any] = {
            "execution_arn": run.execution_arn,
            "status": run.status,
            "error": run.error,
            "cause": run.cause,
            "batch": snapshot.batch.__dict__ if snapshot.batch else None,
        }
        if shadow is not None:
            document["shadow"] = {"inngest": shadow}
        print_json(document)
        return
    if snapshot.batch is not None:
        print_batch(snapshot.batch)
    out.print(f"execution {run.execution_arn}: {run.status}")
    if run.status != "SUCCEEDED" and run.error:
        err.print(f"error: {run.error}: {run.cause or ''}", markup=False)


# -- status ------------------------------------------------------------------------------------


def render_one(snapshot: Snapshot, json_output: bool) -> None:
    run = snapshot.run
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
                "states": [r.as_dict() for r in status_service.timeline(snapshot.history)],
            }
        )
        return
    out.print(f"{run.name}: {run.status}")
    out.print(timeline_table(snapshot.history, snapshot.progress))


_UNLIMITED = 10_000


def render_rows(rows: list[RunRow], json_output: bool, *, wide: bool = False) -> None:
    """The run list with what tells runs apart: org, day, attempt, side, status, cells and
    duration. Cells fold, never cut; `wide` adds the execution name (for `senso status NAME`
    and `senso redrive NAME`), start time, redrives and ARN, each run on one line."""
    if json_output:
        print_json([row.as_dict() for row in rows])
        return
    if not rows:
        out.print("no executions or Inngest batches")
        return
    columns = ["org", "day", "attempt", "side", "status", "cells", "duration"]
    columns += ["execution", "started", "redrives", "execution arn"] if wide else []
    result = table(*columns, "error")
    for row in rows:
        cells = "-"
        if row.cells_total is not None:
            cells = f"{row.cells_completed}/{row.cells_total}"
            cells += f" ({row.cells_failed} failed)" if row.cells_failed else ""
        duration = f"{row.duration_s:.1f}s" if row.duration_s is not None else "..."
        values = [
            row.org or (row.org_id or "-"),
            str(row.day or "-"),
            str(row.attempt or "-"),
            row.side,
            row.run.status,
            cells,
            duration,
        ]
        if wide:
            values += [
                row.run.name or f"(batch {row.batch_id})",
                row.run.start_date.strftime("%Y-%m-%d %H:%M:%S"),
                str(row.run.redrive_count),
                row.run.execution_arn or "-",
            ]
        result.add_row(*values, row.run.error or "")
    # --wide: one line per run at the table's natural width, whatever the terminal's.
    wide_out = Console(width=_UNLIMITED, highlight=False) if wide else out
    wide_out.print(result)


# -- redrive -----------------------------------------------------------------------------------


def _as_dict(outcome: RedriveOutcome) -> dict[str, Any]:
    return dict(outcome.__dict__)


def render_redrive(outcome: RedriveOutcome, json_output: bool) -> None:
    if json_output:
        print_json(_as_dict(outcome))
        return
    detail = f" ({outcome.error}: {outcome.cause})" if outcome.error else ""
    how = _REDRIVE_HOW.get(outcome.action, "")
    reason = f": {outcome.reason}" if outcome.reason else ""
    out.print(
        f"{outcome.action.replace('_', ' ')}{how}: {outcome.name} {outcome.status}{detail}{reason}",
        markup=False,
    )
    if outcome.new_execution_arn:
        out.print(f"  {outcome.new_execution_arn}", markup=False)


# How each action resumes the execution (services/redrive.py), said next to it.
_REDRIVE_HOW = {
    "redriven": " (from the step that did not finish)",
    "new_attempt": " (a FAILED run ended in its Fail state; a new attempt resumes the batch)",
    "would_redrive": " (RedriveExecution, from the step that did not finish)",
    "would_start_new_attempt": " (a FAILED execution ended in its Fail state)",
}


def render_redrives(
    outcomes: list[RedriveOutcome], json_output: bool, status: str, since: str
) -> None:
    if json_output:
        print_json([_as_dict(o) for o in outcomes])
        return
    if not outcomes:
        out.print(f"no {status} executions since {since}")
        return
    result = table(
        "execution", "status", "action", "reason", title=f"redrive {status} since {since}"
    )
    for o in outcomes:
        result.add_row(o.name, o.status, o.action.replace("_", " "), o.reason or o.error or "")
    out.print(result)


def redrive_failed(outcome: RedriveOutcome) -> bool:
    """A redrive that did not work: refused, or run here to an end other than success."""
    return outcome.action == "failed" or (
        outcome.action in ("redriven", "new_attempt")
        and outcome.status not in ("SUCCEEDED", "RUNNING")
    )
