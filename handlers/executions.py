"""Start an org's evaluation execution exactly once per day, whoever asks.

`senso trigger`, `senso trigger-batch` and the container's `Dispatch` step all start executions
with deterministic names (org, UTC day, attempt), through `start_org_execution`, so a doubled
or re-run trigger finds the existing execution instead of starting a second batch run:

* a free name is started;
* a RUNNING execution under the name is reported as already running;
* a FAILED, TIMED_OUT or ABORTED one means "try the next attempt" (its batch is resumed);
* a SUCCEEDED one means today's batch is complete. Bulk callers stop there ("already done",
  so re-running them costs nothing); a manual trigger may ask for the next attempt, which is
  harmless because GetOrCreateBatch skips a completed batch, and useful when an operator
  reset the batch on purpose.

The AWS calls are behind `ExecutionApi`, so the CLI (senso_cli.aws wrappers, rate limited)
and the container (plain boto3) share this policy without the handlers importing senso_cli.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from handlers.errors import InvalidInputError
from handlers.pacing import check_max_concurrency

MAX_NAME_LENGTH = 80
MAX_ATTEMPTS_PER_DAY = 50
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")

Outcome = Literal["started", "already_running", "already_succeeded"]
# The one set of execution statuses (Step Functions' words; senso's local runtime uses them too).
RUNNING = "RUNNING"
TERMINAL_FAILURES = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})  # also what can be redriven
TERMINAL = TERMINAL_FAILURES | {"SUCCEEDED"}
STATUSES = TERMINAL | {RUNNING}


def execution_name(org_id: str | Any, day: date, attempt: int = 1, *, shadow: bool = False) -> str:
    """The deterministic name, e.g. org-<uuid>-20250301-a1 (at most 80 safe characters);
    a shadow run's names end in `-shadow` (e.g. org-<uuid>-20250301-a1-shadow).

    Must stay identical to `senso_cli.aws.stepfunctions.execution_name` (a test checks it):
    the CLI and the dispatcher have to agree on names for triggers to be idempotent.
    """
    if attempt < 1:
        raise InvalidInputError(f"attempt must be 1 or more, got {attempt}")
    raw = str(org_id)
    if not raw:
        raise InvalidInputError("org id must not be empty")
    suffix = f"-{day:%Y%m%d}-a{attempt}" + ("-shadow" if shadow else "")
    clean = _UNSAFE_NAME_CHARS.sub("_", raw)
    budget = MAX_NAME_LENGTH - len("org-") - len(suffix)
    if clean != raw or len(clean) > budget:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:10]
        clean = f"{clean[: budget - len(digest) - 1]}_{digest}"
    return f"org-{clean}{suffix}"


def workflow_input(
    org_id: str,
    day: date,
    triggered_by: str,
    trigger_id: str | None = None,
    *,
    shadow: bool = False,
) -> dict[str, Any]:
    """The execution input every starter sends (the state machine's WorkflowInput).

    `trigger_id` is new for every trigger: AWS answers a StartExecution whose name *and* input
    match a running execution with 200 and that execution, which would make a doubled trigger
    look like a fresh start. With a distinct input the second trigger gets
    ExecutionAlreadyExists instead, while botocore's own retry of one call (same input) stays
    idempotent. The steps ignore the key.
    """
    data = {
        "org_id": org_id,
        "triggered_by": triggered_by,
        "batch_day": day.isoformat(),
        "trigger_id": trigger_id or uuid.uuid4().hex,
        # A shadow run writes senso's shadow tables only (handlers.db.tables).
        "shadow": shadow,
    }
    # It travels in every task's ECS overrides: refuse what `senso validate` did not bound.
    from pydantic import ValidationError  # here: listing executions needs no pydantic

    from handlers.steps.base import WorkflowInput

    try:
        WorkflowInput.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(f"invalid execution input {where}: {first['msg']}") from exc
    return data


class ExecutionApi(Protocol):
    """The two Step Functions calls the policy needs."""

    def start(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        """Start `name`; returns (execution ARN, True) or (its ARN, False) if the name exists."""
        ...

    def status(self, execution_arn: str) -> str:
        """DescribeExecution's status of an existing execution."""
        ...


@dataclass(frozen=True)
class StartOutcome:
    outcome: Outcome
    execution_arn: str
    name: str
    attempt: int
    previous_status: str | None = None  # what the last attempt found before this one


def start_org_execution(
    api: ExecutionApi,
    org_id: str,
    day: date,
    *,
    triggered_by: str,
    restart_succeeded: bool = False,
    max_attempts: int = MAX_ATTEMPTS_PER_DAY,
    shadow: bool = False,
) -> StartOutcome:
    """Start today's execution for the org, or report the one that already covers it."""
    # One trigger id for all attempts.
    payload = workflow_input(org_id, day, triggered_by, shadow=shadow)
    previous: str | None = None
    for attempt in range(1, max_attempts + 1):
        name = execution_name(org_id, day, attempt, shadow=shadow)
        arn, started = api.start(name, payload)
        if started:
            return StartOutcome("started", arn, name, attempt, previous)
        status = api.status(arn)
        if status == "RUNNING":
            return StartOutcome("already_running", arn, name, attempt, previous)
        if status == "SUCCEEDED" and not restart_succeeded:
            return StartOutcome("already_succeeded", arn, name, attempt, previous)
        previous = status
    raise InvalidInputError(
        f"org {org_id} already has {max_attempts} executions for {day}",
        hint="look at them with `senso status --org` before starting another",
    )


@dataclass(frozen=True)
class PlannedStart:
    """What `start_org_execution` would do for an org, found without starting anything."""

    outcome: Literal["start", "already_running", "already_succeeded"]
    name: str
    attempt: int


def plan_org_execution(
    status_of: Callable[[str], str | None],
    org_id: str,
    day: date,
    *,
    max_attempts: int = MAX_ATTEMPTS_PER_DAY,
    shadow: bool = False,
) -> PlannedStart:
    """The name the org's execution for `day` should start under (same attempt policy as
    `start_org_execution`, for bulk starters: a succeeded attempt is not repeated);
    `status_of(name)` is the status of that name, None if unused."""
    for attempt in range(1, max_attempts + 1):
        name = execution_name(org_id, day, attempt, shadow=shadow)
        status = status_of(name)
        if status is None:
            return PlannedStart("start", name, attempt)
        if status == "RUNNING":
            return PlannedStart("already_running", name, attempt)
        if status == "SUCCEEDED":
            return PlannedStart("already_succeeded", name, attempt)
    raise InvalidInputError(
        f"org {org_id} already has {max_attempts} executions for {day}",
        hint="look at them with `senso status --org` before starting another",
    )


DISPATCHER_MAX_ORGS = 2_000
"""Orgs per dispatcher execution: each item is ~100 bytes of the 256 KiB input limit."""


def dispatcher_input(
    orgs: list[tuple[str, str]],
    day: date,
    *,
    triggered_by: str,
    max_concurrency: int,
    shadow: bool = False,
) -> dict[str, Any]:
    """The dispatcher state machine's input: (org id, execution name) pairs and the limit;
    with `shadow`, every org execution it starts is a shadow run (senso's shadow tables only).

    Names come from `execution_name` (and the attempt policy above), so the dispatcher starts
    exactly the executions `start_org_execution` would, and a re-run finds them.
    """
    check_max_concurrency(max_concurrency)  # its first wave of RunTask calls fits Fargate's
    if len(orgs) > DISPATCHER_MAX_ORGS:
        raise InvalidInputError(
            f"{len(orgs)} orgs exceed one dispatcher execution ({DISPATCHER_MAX_ORGS})",
            hint="split them over several dispatcher executions",
        )
    return {
        "day": day.isoformat(),
        "triggered_by": triggered_by,
        "max_concurrency": max_concurrency,
        "shadow": shadow,
        "orgs": [{"org_id": org_id, "name": name} for org_id, name in orgs],
    }
