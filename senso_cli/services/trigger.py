"""Start org evaluations locally and describe how they went.

Execution names are deterministic per org, UTC day and attempt, so a doubled trigger finds the
running execution instead of starting a second one for the same batch.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from handlers.db.database import Database
from handlers.executions import start_org_execution
from handlers.repositories.orgs import OrgDetails, OrgRepository
from senso_cli.local.runtime import LocalRuntime, Started, owner_alive


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
        record = self._runtime.store.get(execution_arn)
        if record["status"] == "RUNNING" and not owner_alive(record):
            # Its process is gone (killed, machine restarted): the next attempt takes over,
            # and `senso redrive` can still continue this one.
            return "ABORTED"
        return str(record["status"])


def start_local(
    runtime: LocalRuntime,
    org_ref: str,
    *,
    day: date | None = None,
    triggered_by: str = "manual",
    skip_succeeded: bool = False,
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


@dataclass(frozen=True)
class BatchSummary:
    batch_id: str
    status: str
    cells: int
    completed: int
    failed: int
    visibility: float
    share_of_voice: float
    mean_rank: float | None
    citation_rate: float
    sentiment: dict[str, int]
    # Charged by the run being shown (ledger entries since it started); a re-run of a
    # completed batch charges nothing, whatever the batch cost the first time.
    credits_charged: Decimal
    simulated: bool
    # Everything the batch was ever charged, by every run of it.
    credits_batch_total: Decimal = Decimal(0)


def batch_summary(
    db: Database,
    org_id: Any,
    day: date,
    *,
    orchestrator: str = "step_functions",
    charged_since: datetime | None = None,
) -> BatchSummary | None:
    """The org's batch for the day; `credits_charged` counts only ledger entries written at or
    after `charged_since` (the run's start), the whole batch when it is None."""
    with db.connect() as conn:
        batch = conn.execute(
            """SELECT b.batch_id, b.status, b.aggregates, p.total_cells, p.completed_cells,
                      p.failed_cells,
                      (SELECT coalesce(-sum(amount), 0) FROM credit_ledger l
                        WHERE l.batch_id = b.batch_id) AS charged,
                      (SELECT coalesce(-sum(amount), 0) FROM credit_ledger l
                        WHERE l.batch_id = b.batch_id
                          AND (%s::timestamptz IS NULL OR l.created_at >= %s)) AS charged_now,
                      (SELECT bool_or(simulated) FROM question_runs r
                        WHERE r.batch_id = b.batch_id) AS simulated
               FROM question_run_batches b JOIN batch_progress p ON p.batch_id = b.batch_id
               WHERE b.org_id = %s AND b.batch_day = %s AND b.orchestrator = %s""",
            (charged_since, charged_since, org_id, day, orchestrator),
        ).fetchone()
    if batch is None:
        return None
    overall = (batch["aggregates"] or {}).get("overall", {})
    return BatchSummary(
        batch_id=str(batch["batch_id"]),
        status=batch["status"],
        cells=int(batch["total_cells"]),
        completed=int(batch["completed_cells"]),
        failed=int(batch["failed_cells"]),
        visibility=float(overall.get("visibility", 0.0)),
        share_of_voice=float(overall.get("share_of_voice", 0.0)),
        mean_rank=overall.get("mean_rank"),
        citation_rate=float(overall.get("citation_rate", 0.0)),
        sentiment=overall.get("sentiment", {}),
        credits_charged=Decimal(batch["charged_now"]),
        simulated=bool(batch["simulated"]),
        credits_batch_total=Decimal(batch["charged"]),
    )
