"""Start org evaluations locally and describe how they went.

Execution names are deterministic per org, UTC day and attempt, so a doubled trigger finds the
running execution instead of starting a second one for the same batch.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from handlers.executions import start_org_execution
from handlers.repositories.orgs import OrgDetails, OrgRepository
from senso_cli.local.runtime import LocalRuntime, Started
from senso_cli.local.store import effective_status


@dataclass(frozen=True)
class TriggerResult:
    org: OrgDetails
    started: Started
    already_running: bool
    already_succeeded: bool = False
    attempt: int = 1
    previous_status: str | None = None


class LocalExecutions:
    """`handlers.executions.ExecutionApi` over the local runtime, for one org's executions."""

    def __init__(self, runtime: LocalRuntime, org_id: UUID) -> None:
        self._runtime = runtime
        self._org_id = org_id

    def start(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        started = self._runtime.start(input, name=name, org_id=self._org_id)
        return started.execution_arn, started.started

    def status(self, execution_arn: str) -> str:
        return effective_status(self._runtime.store.get(execution_arn))


def start_local(
    runtime: LocalRuntime,
    org_ref: str,
    *,
    day: date | None = None,
    triggered_by: str = "manual",
    skip_succeeded: bool = False,
    shadow: bool = False,
) -> TriggerResult:
    """Start the next attempt of the day's execution for the org, by the policy every starter
    shares (`handlers.executions.start_org_execution`).

    A running attempt is reported instead of starting another. With `skip_succeeded` (bulk
    starts), an attempt that already succeeded that day is reported too, so re-running a batch
    starts only what is missing; a single manual trigger starts a new attempt instead.
    """
    org = OrgRepository(runtime.db).get(org_ref)
    day = day or datetime.now(UTC).date()
    outcome = start_org_execution(
        LocalExecutions(runtime, org.org_id),
        str(org.org_id),
        day,
        triggered_by=triggered_by,
        restart_succeeded=not skip_succeeded,
        shadow=shadow,
    )
    started = Started(outcome.execution_arn, outcome.name, outcome.outcome == "started")
    return TriggerResult(
        org,
        started,
        already_running=outcome.outcome == "already_running",
        already_succeeded=outcome.outcome == "already_succeeded",
        attempt=outcome.attempt,
        previous_status=outcome.previous_status,
    )


def spawn_worker(arn: str, env: dict[str, str]) -> int:
    """Run the execution in a detached process, so `--no-wait` returns at once."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "senso_cli.local.worker", arn],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return proc.pid
