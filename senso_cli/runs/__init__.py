"""What an operator does with executions, one interface for every side.

    Runs (Protocol)        start, follow, describe, recent, stop, redrive, redrive_many, logs
    ├── LocalRuns          senso's own runtime (senso_cli.local), history in PostgreSQL
    ├── SfnRuns            AWS Step Functions (+ the environment's database for progress)
    └── InngestRuns        the legacy side: the real Inngest, or its local stand-in

`senso_cli.factory.runs` picks one from `--env` / `--target`; commands call it and render its
answers with `senso_cli.views.runs`, the same view for every side. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from handlers.db.database import Database
    from senso_cli.services.batches import BatchSummary
    from senso_cli.services.logs import LogFilters, LogSource

from handlers.executions import RUNNING, STATUSES, TERMINAL
from handlers.executions import TERMINAL_FAILURES as REDRIVABLE

__all__ = [
    "REDRIVABLE",
    "RUNNING",
    "STATUSES",
    "TERMINAL",
    "Dispatch",
    "DispatchedRun",
    "Progress",
    "RedriveOutcome",
    "Run",
    "Runs",
    "Snapshot",
    "Started",
    "progress_stage",
]


@dataclass(frozen=True)
class Run:
    """One execution as listed or described."""

    execution_arn: str
    name: str
    status: str
    start_date: datetime
    stop_date: datetime | None = None
    error: str | None = None
    cause: str | None = None
    redrive_count: int = 0


@dataclass(frozen=True)
class Snapshot:
    """An execution, its history events (AWS's shape) and its batch's progress, at one time."""

    run: Run
    history: list[dict[str, Any]]
    batch: BatchSummary | None = None

    @property
    def finished(self) -> bool:
        return self.run.status in TERMINAL

    @property
    def progress(self) -> dict[str, int] | None:
        if self.batch is None:
            return None
        return {
            "total_cells": self.batch.cells,
            "completed_cells": self.batch.completed,
            "failed_cells": self.batch.failed,
        }


@dataclass(frozen=True)
class Started:
    """What `start` did: a new execution, or the one already running for that org and day."""

    execution_arn: str
    name: str
    org_id: str
    org_label: str
    day: date
    outcome: str  # started | already_running
    attempt: int = 1
    previous_status: str | None = None
    # The execution runs inside this process (local, not detached): the caller must follow it.
    in_process: bool = False
    worker_pid: int | None = None
    notes: list[str] = field(default_factory=list)
    # A shadow run: it writes senso's shadow tables only (no product row, no credit).
    shadow: bool = False


@dataclass(frozen=True)
class RedriveOutcome:
    execution_arn: str
    name: str
    status: str
    # redriven | new_attempt | would_redrive | would_start_new_attempt | skipped | failed
    # (services/redrive.py: FAILED executions are resumed by a new attempt, the others redriven)
    action: str
    reason: str | None = None
    error: str | None = None
    cause: str | None = None
    new_execution_arn: str | None = None  # the attempt that resumed a FAILED execution


@dataclass(frozen=True)
class DispatchedRun:
    """One org handed to the dispatcher: what happened, and (local) how its execution ended."""

    org_id: str
    outcome: str  # started | already_running | already_succeeded | failed
    execution_arn: str | None = None
    reason: str | None = None
    final_status: str | None = None


@dataclass(frozen=True)
class Dispatch:
    """What `dispatch` did: the orgs in the order given, and the dispatcher executions that
    start them (at most `max_concurrency` running at once)."""

    orgs: list[DispatchedRun]
    dispatcher_executions: list[str]
    max_concurrency: int
    shadow: bool = False
    waited: bool = False  # the org executions ran to their end before `dispatch` returned


Progress = Callable[[str, int, int], None]
"""(what is being counted, done, total): e.g. ("looking up executions", 3, 10)."""


def progress_stage(on_progress: Progress | None, what: str) -> Callable[[int, int], None] | None:
    """`on_progress` for one stage, as a (done, total) callback."""
    if on_progress is None:
        return None
    return lambda done, total: on_progress(what, done, total)


class Runs(Protocol):
    """The operations `trigger`, `status`, `redrive` and `rollback` need, on one side."""

    kind: str  # "local", "sfn" or "inngest": shown to the operator

    @property
    def db(self) -> Database | None:
        """The database orgs are resolved in (None: an AWS environment's is not reachable)."""
        ...

    def start(
        self, org_ref: str, day: date, *, detach: bool = False, shadow: bool = False
    ) -> Started: ...

    def follow(self, started: Started, *, interval: float | None = None) -> Iterator[Snapshot]:
        """Snapshots until the execution ends (the last one is final); `interval` seconds apart
        (default: the side's own)."""
        ...

    def describe(self, ref: str) -> Snapshot: ...

    def recent(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        org_ref: str | None = None,
        limit: int = 50,
    ) -> list[Run]: ...

    def stop(self, ref: str, *, error: str | None = None, cause: str | None = None) -> Run: ...

    def redrive(self, ref: str, *, dry_run: bool = False) -> RedriveOutcome: ...

    def logs(
        self,
        filters: LogFilters,
        *,
        since: datetime,
        follow: bool = False,
        filter_pattern: str | None = None,
        live: bool = True,
        poll_interval: float = 2.0,
        max_polls: int | None = None,
    ) -> LogSource:
        """The side's log lines from `since` (followed: new ones as they arrive). Locally the
        recorded history and handler lines; on AWS the handler and state machine log groups
        (`filter_pattern` and live tail apply there only)."""
        ...

    def redrive_many(
        self, *, since: datetime, status: str, dry_run: bool = False
    ) -> list[RedriveOutcome]: ...

    def dispatch(
        self,
        org_ids: list[str],
        day: date,
        *,
        max_concurrency: int | None = None,
        shadow: bool = False,
        triggered_by: str = "manual_batch",
        calls_per_second: float | None = None,
        on_progress: Progress | None = None,
    ) -> Dispatch:
        """Start the orgs' executions for `day` through the dispatcher state machine, at most
        `max_concurrency` running at once (default: the side's setting); orgs that already
        ran or run today are reported, not started again. Locally the executions run to
        their end here; on AWS Step Functions runs them. `calls_per_second` paces this
        side's own API calls (AWS)."""
        ...
