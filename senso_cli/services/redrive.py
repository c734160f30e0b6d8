"""What `senso redrive` does with an execution: one rule for AWS and the local runtime.

RedriveExecution continues an execution from its unsuccessful state, with the same input and
ARN, without re-running the states that succeeded (Step Functions API Reference,
RedriveExecution). Whether that helps depends on how the execution ended:

* TIMED_OUT and ABORTED: no Catch runs when the execution times out or is stopped, so the
  unsuccessful state is the step that was running. RedriveExecution resumes it: `redrive`.
* FAILED: every Task of the org evaluation catches States.ALL into MarkBatchFailed and then the
  WorkflowFailed Fail state, so the unsuccessful state is WorkflowFailed and a redrive would
  fail again at once. Instead a new attempt starts (the next deterministic name for the org
  and day, as `senso trigger` would): its StartBatchProcessing resumes the failed batch and the
  matrix runs only the cells that are not complete. `new_attempt`.

Locally a RUNNING execution whose process died (a crash) is redriven like a TIMED_OUT one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from handlers.errors import InvalidInputError

if TYPE_CHECKING:  # the AWS path imports this module without the local runtime
    from senso_cli.local.runtime import LocalRuntime
    from senso_cli.sfn import ExecutionResult

RedriveAction = Literal["redrive", "new_attempt"]
TRIGGERED_BY = "redrive"


def redrive_action(status: str, *, crashed: bool = False) -> RedriveAction:
    """How an execution that ended with `status` is resumed (see the module docstring)."""
    if status in ("TIMED_OUT", "ABORTED") or (status == "RUNNING" and crashed):
        return "redrive"
    if status == "FAILED":
        return "new_attempt"
    raise InvalidInputError(
        f"a {status} execution cannot be redriven",
        hint="only FAILED, TIMED_OUT and ABORTED executions can (see `senso status`)",
    )


@dataclass(frozen=True)
class AttemptOf:
    """What a new attempt of an execution is for, read from the execution's own input."""

    org_id: str
    day: date
    shadow: bool  # a shadow run's next attempt is a shadow run: never a live, charging one


def attempt_of(execution_input: Any) -> AttemptOf:
    data = json.loads(execution_input) if isinstance(execution_input, str) else execution_input
    try:
        org_id, day = str(data["org_id"]), date.fromisoformat(str(data["batch_day"]))
    except (TypeError, KeyError, ValueError) as exc:
        raise InvalidInputError(
            "the execution's input names no org_id and batch_day to start a new attempt for",
            hint="start it with `senso trigger --org ORG --day DAY`",
        ) from exc
    return AttemptOf(org_id, day, shadow=is_shadow_input(data))


def is_shadow_input(execution_input: Any) -> bool:
    """Whether an execution input (a JSON text or its document) is a shadow run's."""
    try:
        data = json.loads(execution_input) if isinstance(execution_input, str) else execution_input
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("shadow") is True


@dataclass(frozen=True)
class LocalRedrive:
    action: Literal["redriven", "new_attempt", "skipped"]
    execution_arn: str  # the execution that was resumed: the same one, or the new attempt
    result: ExecutionResult | None  # None when skipped (a later attempt runs or succeeded)
    reason: str | None = None


def redrive_local(runtime: LocalRuntime, arn: str) -> LocalRedrive:
    """Resume one local execution in this process, to its end (see `redrive_action`)."""
    from senso_cli.local.store import owner_alive
    from senso_cli.services.trigger import start_local

    record = runtime.store.get(arn)
    crashed = record["status"] == "RUNNING" and not owner_alive(record)
    if redrive_action(record["status"], crashed=crashed) == "redrive":
        return LocalRedrive("redriven", record["execution_arn"], runtime.redrive(arn))
    attempt = attempt_of(record["input"])
    started = start_local(
        runtime,
        attempt.org_id,
        day=attempt.day,
        triggered_by=TRIGGERED_BY,
        skip_succeeded=True,
        shadow=attempt.shadow,
    )
    if started.already_running or started.already_succeeded:
        how = "is already running" if started.already_running else "already succeeded"
        reason = f"{started.started.name} {how}"
        return LocalRedrive("skipped", started.started.execution_arn, None, reason)
    new_arn = started.started.execution_arn
    return LocalRedrive("new_attempt", new_arn, runtime.run(new_arn), f"{started.started.name}")
