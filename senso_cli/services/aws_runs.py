"""Org evaluation runs on AWS Step Functions: start, follow, list, describe and redrive.

The AWS twin of the local runtime's services. Starting goes through
`handlers.executions.start_org_execution` (deterministic names, one policy for the CLI and the
dispatcher); `SfnExecutions` adapts the StepFunctions wrapper to it with an optional shared
rate limit and backoff on throttling. Views reuse `services.status.timeline`, because
GetExecutionHistory's events have the shape the local store records.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from handlers.db.database import Database
from handlers.errors import InvalidInputError, SensoError
from handlers.executions import StartOutcome, start_org_execution
from handlers.repositories.orgs import OrgRepository
from senso_cli.aws.errors import AwsError, AwsNotFoundError
from senso_cli.aws.stepfunctions import (
    Execution,
    ExecutionSummary,
    StepFunctions,
    execution_arn_for,
)
from senso_cli.aws.throttle import RateLimiter, call_with_backoff
from senso_cli.runs import REDRIVABLE, STATUSES, TERMINAL
from senso_cli.services.batches import BatchSummary, batch_summary
from senso_cli.services.redrive import TRIGGERED_BY as REDRIVE_TRIGGER
from senso_cli.services.redrive import attempt_of, is_shadow_input, redrive_action

_ATTEMPT_NAME = re.compile(r"^(?P<base>org-.+-\d{8})-a(?P<attempt>\d+)$")


class SfnExecutions:
    """`handlers.executions.ExecutionApi` over the StepFunctions wrapper; thread-safe."""

    def __init__(
        self,
        sfn: StepFunctions,
        state_machine_arn: str,
        *,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sfn = sfn
        self._arn = state_machine_arn
        self._limiter = limiter
        self._lock = threading.Lock()  # RateLimiter itself is not thread-safe
        self._sleep = sleep

    def _pace(self) -> None:
        if self._limiter is not None:
            with self._lock:
                self._limiter.acquire()

    def start(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        self._pace()
        result = call_with_backoff(
            lambda: self._sfn.start_execution(self._arn, name, json.dumps(input)),
            sleep=self._sleep,
        )
        return result.execution_arn, result.started

    def status(self, execution_arn: str) -> str:
        return call_with_backoff(
            lambda: self._sfn.describe_execution(execution_arn), sleep=self._sleep
        ).status


class SfnDispatcher(SfnExecutions):
    """`handlers.dispatching.Dispatcher` over the StepFunctions wrapper: looks at the org
    machine's executions and starts the dispatcher state machine, every call paced by the
    shared limiter and backed off when throttled."""

    def __init__(
        self, sfn: StepFunctions, state_machine_arn: str, dispatcher_arn: str, **options: Any
    ) -> None:
        super().__init__(sfn, state_machine_arn, **options)
        self._dispatcher = dispatcher_arn

    def org_execution_arn(self, name: str) -> str:
        return execution_arn_for(self._arn, name)

    def find(self, name: str) -> str | None:
        try:
            return self.status(self.org_execution_arn(name))
        except AwsNotFoundError:
            return None

    def start_dispatch(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        self._pace()
        result = call_with_backoff(
            lambda: self._sfn.start_execution(self._dispatcher, name, json.dumps(input)),
            sleep=self._sleep,
        )
        return result.execution_arn, result.started

    def status(self, execution_arn: str) -> str:
        self._pace()
        return super().status(execution_arn)


# -- orgs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedOrg:
    org_id: str
    label: str  # the slug when the database knows it, else the id


def resolve_org(db: Database | None, ref: str) -> ResolvedOrg:
    """An org id from a slug or id; without a database only a raw UUID is accepted."""
    if db is not None:
        with db.connect() as conn:
            org_id = OrgRepository(db).resolve_id(conn, ref)
            row = conn.execute(
                "SELECT slug FROM senso.org_aliases WHERE org_id = %s", (org_id,)
            ).fetchone()
        return ResolvedOrg(str(org_id), row["slug"] if row else str(org_id))
    try:
        return ResolvedOrg(str(uuid.UUID(ref.strip())), ref.strip())
    except ValueError:
        raise InvalidInputError(
            f"cannot resolve org {ref!r}: the database is not reachable",
            hint="pass the org's UUID, or set environments.<name>.database_url",
        ) from None


def trigger_org(
    sfn: StepFunctions,
    state_machine_arn: str,
    org: ResolvedOrg,
    day: date,
    *,
    triggered_by: str = "manual",
    sleep: Callable[[float], None] = time.sleep,
    shadow: bool = False,
) -> StartOutcome:
    """A manual trigger: a succeeded attempt is followed by the next one (it skips fast)."""
    api = SfnExecutions(sfn, state_machine_arn, sleep=sleep)
    return start_org_execution(
        api, org.org_id, day, triggered_by=triggered_by, restart_succeeded=True, shadow=shadow
    )


# -- following ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSnapshot:
    execution: Execution
    history: list[dict[str, Any]]
    batch: BatchSummary | None

    @property
    def finished(self) -> bool:
        return self.execution.status in TERMINAL

    @property
    def progress(self) -> dict[str, int] | None:
        if self.batch is None:
            return None
        return {
            "total_cells": self.batch.cells,
            "completed_cells": self.batch.completed,
            "failed_cells": self.batch.failed,
        }


def _batch(
    db: Database | None, org_id: str | None, day: date | None, execution: Execution
) -> BatchSummary | None:
    if db is None or org_id is None or day is None:
        return None
    try:
        return batch_summary(
            db,
            uuid.UUID(org_id),
            day,
            charged_since=execution.start_date,
            # A shadow run's batch is in senso's shadow tables (its input says so).
            shadow=is_shadow_input(execution.input),
        )
    except SensoError:
        return None  # progress is a bonus; a database hiccup must not stop the follow


def snapshot(
    sfn: StepFunctions,
    execution_arn: str,
    *,
    db: Database | None = None,
    org_id: str | None = None,
    day: date | None = None,
) -> RunSnapshot:
    execution = sfn.describe_execution(execution_arn)
    history = [dict(event) for event in sfn.get_execution_history(execution_arn)]
    return RunSnapshot(execution, history, _batch(db, org_id, day, execution))


def follow(
    sfn: StepFunctions,
    execution_arn: str,
    *,
    db: Database | None = None,
    org_id: str | None = None,
    day: date | None = None,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    max_polls: int | None = None,
) -> Iterator[RunSnapshot]:
    """Snapshots until the execution ends (the last one is terminal) or `max_polls` is hit."""
    polls = 0
    while True:
        current = snapshot(sfn, execution_arn, db=db, org_id=org_id, day=day)
        polls += 1
        yield current
        if current.finished or (max_polls is not None and polls >= max_polls):
            return
        sleep(interval)


# -- listing and describing --------------------------------------------------------------------


def execution_ref(state_machine_arn: str, ref: str) -> str:
    """An execution ARN from an ARN or a name under the environment's state machine."""
    return ref if ref.startswith("arn:") else execution_arn_for(state_machine_arn, ref)


def org_day_of(name: str) -> tuple[str | None, date | None]:
    """The org id and batch day encoded in a senso execution name, when it is one."""
    match = re.match(r"^org-(?P<org>[0-9a-fA-F-]{36})-(?P<day>\d{8})-a\d+(-shadow)?$", name)
    if match is None:
        return None, None
    return match["org"], datetime.strptime(match["day"], "%Y%m%d").replace(tzinfo=UTC).date()


def list_runs(
    sfn: StepFunctions,
    state_machine_arn: str,
    *,
    status: str | None = None,
    since: datetime | None = None,
    org_id: str | None = None,
    limit: int = 50,
) -> list[ExecutionSummary]:
    if status is not None and status not in STATUSES:
        raise InvalidInputError(f"--status {status!r} is not an execution status")
    runs: list[ExecutionSummary] = []
    for run in sfn.iter_executions(
        state_machine_arn,
        status=status,  # type: ignore[arg-type]
        since=since,
    ):
        if org_id is not None and not run.name.startswith(f"org-{org_id}-"):
            continue
        runs.append(run)
        if len(runs) >= limit:
            break
    return runs


# -- redrive -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedriveOutcome:
    execution_arn: str
    name: str
    status: str
    # redriven | new_attempt | would_redrive | would_start_new_attempt | skipped | failed
    action: str
    reason: str | None = None
    new_execution_arn: str | None = None  # the attempt a FAILED execution was resumed by


def resume(
    sfn: StepFunctions,
    state_machine_arn: str,
    run: Execution | ExecutionSummary,
    *,
    dry_run: bool = False,
    limiter: RateLimiter | None = None,
) -> RedriveOutcome:
    """Resume one ended execution the way `services.redrive.redrive_action` says.

    TIMED_OUT and ABORTED go through RedriveExecution; FAILED starts the next attempt for the
    org and day (a redrive would only re-run the Fail state), which resumes the batch.
    """
    action = redrive_action(run.status)
    if dry_run:
        verb = "would_redrive" if action == "redrive" else "would_start_new_attempt"
        return RedriveOutcome(run.execution_arn, run.name, run.status, verb)
    if action == "redrive":
        sfn.redrive_execution(run.execution_arn)
        return RedriveOutcome(run.execution_arn, run.name, run.status, "redriven")
    attempt = attempt_of(
        run.input if isinstance(run, Execution) else sfn.describe_execution(run.execution_arn).input
    )
    api = SfnExecutions(sfn, state_machine_arn, limiter=limiter)
    started = start_org_execution(
        api, attempt.org_id, attempt.day, triggered_by=REDRIVE_TRIGGER, shadow=attempt.shadow
    )
    if started.outcome == "started":
        return RedriveOutcome(
            run.execution_arn, run.name, run.status, "new_attempt",
            f"started {started.name}", started.execution_arn,
        )  # fmt: skip
    why = {"already_running": "is running", "already_succeeded": "already succeeded"}
    return RedriveOutcome(
        run.execution_arn, run.name, run.status, "skipped",
        f"{started.name} {why[started.outcome]}", started.execution_arn,
    )  # fmt: skip


def redrive_many(
    sfn: StepFunctions,
    state_machine_arn: str,
    *,
    since: datetime,
    status: str = "FAILED",
    dry_run: bool = False,
    limiter: RateLimiter | None = None,
) -> list[RedriveOutcome]:
    """Resume every `status` execution started since `since`, oldest first (see `resume`).

    An execution whose org and day already have a later attempt is skipped: that attempt owns
    the batch now, and resuming the old one would only race it.
    """
    if status not in REDRIVABLE:
        raise InvalidInputError(
            f"--status {status} cannot be redriven", hint="use FAILED, TIMED_OUT or ABORTED"
        )
    runs = list(sfn.iter_executions(state_machine_arn, since=since))
    latest: dict[str, int] = {}
    for run in runs:
        match = _ATTEMPT_NAME.match(run.name)
        if match:
            base, attempt = match["base"], int(match["attempt"])
            latest[base] = max(latest.get(base, 0), attempt)
    outcomes: list[RedriveOutcome] = []
    for run in sorted(runs, key=lambda r: r.start_date):
        if run.status != status:
            continue
        match = _ATTEMPT_NAME.match(run.name)
        if match and latest[match["base"]] > int(match["attempt"]):
            newer = f"{match['base']}-a{latest[match['base']]}"
            outcomes.append(
                RedriveOutcome(
                    run.execution_arn, run.name, run.status, "skipped", f"superseded by {newer}"
                )
            )
            continue
        try:
            outcomes.append(resume(sfn, state_machine_arn, run, dry_run=dry_run, limiter=limiter))
        except (AwsError, InvalidInputError) as exc:
            outcomes.append(
                RedriveOutcome(run.execution_arn, run.name, run.status, "failed", exc.message)
            )
    return outcomes
