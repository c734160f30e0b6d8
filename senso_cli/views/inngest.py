"""How a trigger on the Inngest side (the real Inngest or the local stand-in) is shown."""

from __future__ import annotations

from datetime import date
from typing import Any

from senso_cli.output import err, out, print_json
from senso_cli.runs.inngest import InngestRun
from senso_cli.services.routing import Decision
from senso_cli.views.runs import charged_text


def render(
    run: InngestRun, decision: Decision, *, json_output: bool, emit: bool = True
) -> dict[str, Any]:
    """Show what the Inngest side did; returns the JSON data (for `--shadow --json`)."""
    outcome, summary = run.outcome, run.batch
    data = {
        "target": "inngest",
        "routing": decision.reason,
        "mode": outcome.mode,
        "label": outcome.label,
        "status": outcome.status,
        "event_id": outcome.event_id,
        "error": outcome.error,
        "cause": outcome.cause,
        "batch": summary.__dict__ if summary else None,
    }
    if not emit:
        pass  # the caller prints it inside one JSON document (`--shadow --json`)
    elif json_output:
        print_json(data)
    else:
        out.print(f"routed to {outcome.label} ({decision.reason})")
        if outcome.event_id:
            out.print(f"sent org.evaluation.process, event id {outcome.event_id}")
        if summary is not None:
            out.print(
                f"batch {summary.batch_id}: {summary.status}; cells {summary.cells}: "
                f"{summary.completed} completed, {summary.failed} failed; "
                f"visibility {summary.visibility:.1f}%; credits charged "
                f"{charged_text(summary)}"
            )
        if outcome.status == "FAILED":
            err.print(f"error: {outcome.error}: {outcome.cause or ''}")
    return data


def interrupted(org: str, day: date, *, shadow: bool) -> None:
    """After Ctrl-C on the Inngest side run in this process: what became of it, how to resume."""
    again = "--shadow" if shadow else "--target inngest"
    err.print(
        f"interrupted: the Inngest side for {org} on {day} stopped before it finished; "
        f"`senso trigger --org {org} --day {day} {again}` resumes its batch"
        + ("" if not shadow else " and then runs the Step Functions side")
    )
