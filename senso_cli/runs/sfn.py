"""`Runs` on AWS Step Functions, with batch progress from the environment's database when it
can be reached (AWS itself knows nothing of batches)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING

from handlers.db.database import Database
from handlers.dispatching import DEFAULT_MAX_CONCURRENCY, dispatch_through_dispatcher
from handlers.pacing import check_max_concurrency
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.aws.throttle import RateLimiter
from senso_cli.errors import ConfigurationError
from senso_cli.runs import (
    RUNNING,
    Dispatch,
    DispatchedRun,
    Progress,
    RedriveOutcome,
    Run,
    Snapshot,
    Started,
    progress_stage,
)
from senso_cli.services import aws_runs

if TYPE_CHECKING:
    from senso_cli.aws.logs import CloudWatchLogs
    from senso_cli.services.logs import LogFilters, LogSource

LogGroups = Callable[[], tuple["CloudWatchLogs", list[str]]]
"""The CloudWatch Logs client and the environment's handler and state machine log groups."""


class SfnRuns:
    kind = "sfn"

    def __init__(
        self,
        sfn: StepFunctions,
        state_machine_arn: Callable[[], str],
        db: Callable[[], Database | None],
        *,
        dispatcher_arn: Callable[[], str] | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        sleep: Callable[[float], None] = time.sleep,
        log_groups: LogGroups | None = None,
    ) -> None:
        self._sfn = sfn
        self._log_groups = log_groups
        self._dispatcher = dispatcher_arn
        self._max_concurrency = max_concurrency
        self._machine = state_machine_arn  # read when needed: a missing one is a clear error
        self._db_factory = db
        self._db_checked = False
        self._db: Database | None = None
        self._sleep = sleep

    @property
    def db(self) -> Database | None:
        if not self._db_checked:
            self._db, self._db_checked = self._db_factory(), True
        return self._db

    def start(
        self, org_ref: str, day: date, *, detach: bool = False, shadow: bool = False
    ) -> Started:
        org = aws_runs.resolve_org(self.db, org_ref)
        outcome = aws_runs.trigger_org(
            self._sfn, self._machine(), org, day, sleep=self._sleep, shadow=shadow
        )
        notes = []
        if self.db is None:
            notes.append("the database is not reachable: batch progress cannot be shown")
        return Started(
            execution_arn=outcome.execution_arn,
            name=outcome.name,
            org_id=org.org_id,
            org_label=org.label,
            day=day,
            outcome=outcome.outcome,
            attempt=outcome.attempt,
            previous_status=outcome.previous_status,
            notes=notes,
            shadow=shadow,
        )

    def follow(self, started: Started, *, interval: float | None = None) -> Iterator[Snapshot]:
        for snap in aws_runs.follow(
            self._sfn,
            started.execution_arn,
            db=self.db,
            org_id=started.org_id,
            day=started.day,
            interval=1.0 if interval is None else interval,
            sleep=self._sleep,
        ):
            yield _snapshot(snap)

    def describe(self, ref: str) -> Snapshot:
        arn = aws_runs.execution_ref(self._machine(), ref)
        org_id, day = aws_runs.org_day_of(arn.rsplit(":", 1)[-1])
        db = self.db if org_id else None
        return _snapshot(aws_runs.snapshot(self._sfn, arn, db=db, org_id=org_id, day=day))

    def recent(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        org_ref: str | None = None,
        limit: int = 50,
    ) -> list[Run]:
        org_id = aws_runs.resolve_org(self.db, org_ref).org_id if org_ref else None
        runs = aws_runs.list_runs(
            self._sfn, self._machine(), status=status, since=since, org_id=org_id, limit=limit
        )
        return [
            Run(
                r.execution_arn,
                r.name,
                r.status,
                r.start_date,
                r.stop_date,
                None,
                None,
                r.redrive_count,
            )
            for r in runs
        ]

    def stop(self, ref: str, *, error: str | None = None, cause: str | None = None) -> Run:
        arn = aws_runs.execution_ref(self._machine(), ref)
        self._sfn.stop_execution(arn, error=error, cause=cause)
        return self.describe(arn).run

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
        """The handler and state machine groups interleaved; an execution name is read under
        the environment's state machine."""
        from dataclasses import replace

        from senso_cli.services.logs import aws_source

        if self._log_groups is None:
            raise ConfigurationError("this environment's log groups are not configured")
        client, groups = self._log_groups()
        if filters.execution and not filters.execution.startswith("arn:"):
            try:
                machine = self._machine()
            except ConfigurationError:
                machine = None  # no state machine configured: match the name as given
            if machine:
                filters = replace(
                    filters, execution=aws_runs.execution_ref(machine, filters.execution)
                )
        return aws_source(
            client,
            groups,
            filters,
            since=since,
            follow=follow,
            filter_pattern=filter_pattern,
            live=live,
            sleep=self._sleep,
            poll_interval=poll_interval,
            max_polls=max_polls,
        )

    def redrive(self, ref: str, *, dry_run: bool = False) -> RedriveOutcome:
        arn = aws_runs.execution_ref(self._machine(), ref)
        run = self._sfn.describe_execution(arn)
        return _outcome(aws_runs.resume(self._sfn, self._machine(), run, dry_run=dry_run))

    def redrive_many(
        self, *, since: datetime, status: str, dry_run: bool = False
    ) -> list[RedriveOutcome]:
        return [
            _outcome(o)
            for o in aws_runs.redrive_many(
                self._sfn, self._machine(), since=since, status=status, dry_run=dry_run
            )
        ]

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
        """Hand the orgs to the deployed dispatcher state machine; Step Functions runs them."""
        limit = check_max_concurrency(
            self._max_concurrency if max_concurrency is None else max_concurrency
        )
        if self._dispatcher is None:
            raise ConfigurationError("this environment has no dispatcher state machine")
        limiter = None
        if calls_per_second is not None:
            limiter = RateLimiter(calls_per_second, burst=max(1, int(calls_per_second)))
        api = aws_runs.SfnDispatcher(
            self._sfn, self._machine(), self._dispatcher(), limiter=limiter, sleep=self._sleep
        )
        orgs, started = dispatch_through_dispatcher(
            org_ids,
            day,
            api,
            max_concurrency=limit,
            triggered_by=triggered_by,
            shadow=shadow,
            on_planned=progress_stage(on_progress, "looking up executions"),
        )
        runs = [DispatchedRun(o.org_id, o.outcome, o.execution_arn, o.reason) for o in orgs]
        return Dispatch(runs, started, limit, shadow=shadow)


def _outcome(o: aws_runs.RedriveOutcome) -> RedriveOutcome:
    """The status of what now runs: the redriven execution, or the new attempt."""
    status = RUNNING if o.action in ("redriven", "new_attempt") else o.status
    return RedriveOutcome(
        o.execution_arn, o.name, status, o.action, o.reason,
        new_execution_arn=o.new_execution_arn,
    )  # fmt: skip


def _snapshot(snap: aws_runs.RunSnapshot) -> Snapshot:
    e = snap.execution
    run = Run(
        e.execution_arn,
        e.name,
        e.status,
        e.start_date,
        e.stop_date,
        e.error,
        e.cause,
        e.redrive_count,
    )
    return Snapshot(run, snap.history, snap.batch)
