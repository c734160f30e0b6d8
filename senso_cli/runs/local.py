"""`Runs` on senso's own runtime: executions and their history in PostgreSQL.

A started execution runs in a thread of this process (the command follows it), or in a
detached worker process (`trigger --no-wait`); following polls the store either way, so an
execution started by another process is followed the same way.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from handlers.db.database import Database
from handlers.errors import InvalidInputError, SensoError
from handlers.repositories.orgs import OrgRepository
from senso_cli.local.definition import state_machine_arn
from senso_cli.local.store import ExecutionStore, owner_alive
from senso_cli.runs import (
    REDRIVABLE,
    RUNNING,
    STATUSES,
    Dispatch,
    DispatchedRun,
    Progress,
    RedriveOutcome,
    Run,
    Snapshot,
    Started,
    progress_stage,
)
from senso_cli.services.batches import batch_summary

if TYPE_CHECKING:
    from senso_cli.local.runtime import LocalRuntime
    from senso_cli.services.logs import LogFilters, LogSource


def _run(record: dict[str, Any]) -> Run:
    return Run(
        execution_arn=record["execution_arn"],
        name=record["name"],
        status=record["status"],
        start_date=record["start_date"],
        stop_date=record["stop_date"],
        error=record["error"],
        cause=record["cause"],
        redrive_count=int(record["redrive_count"]),
    )


def _local_owner(record: dict[str, Any]) -> int | None:
    """The pid running an execution, when that process is on this host."""
    pid = record.get("owner_pid")
    if pid is None or record.get("owner_host") != socket.gethostname():
        return None
    return int(pid)


class LocalRuns:
    kind = "local"

    def __init__(
        self,
        db: Database,
        make_runtime: Callable[[], LocalRuntime],
        *,
        environ: dict[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Reading needs only the store; the runtime (interpreter, steps, providers) is built
        # for start and redrive, so `senso status` stays light.
        self.db = db
        self.store = ExecutionStore(db)
        self._make_runtime = make_runtime
        self._runtime: LocalRuntime | None = None
        self._environ = dict(os.environ) if environ is None else environ
        self._sleep = sleep
        self._threads: dict[str, tuple[threading.Thread, list[BaseException]]] = {}

    @property
    def runtime(self) -> LocalRuntime:
        if self._runtime is None:
            self._runtime = self._make_runtime()
        return self._runtime

    # -- start and follow -----------------------------------------------------------------

    def start(
        self, org_ref: str, day: date, *, detach: bool = False, shadow: bool = False
    ) -> Started:
        from senso_cli.services.trigger import spawn_worker, start_local

        result = start_local(self.runtime, org_ref, day=day, shadow=shadow)
        arn = result.started.execution_arn
        started = Started(
            execution_arn=arn,
            name=result.started.name,
            org_id=str(result.org.org_id),
            org_label=result.org.slug,
            day=day,
            outcome="already_running" if result.already_running else "started",
            attempt=result.attempt,
            previous_status=result.previous_status,
            shadow=shadow,
        )
        if result.already_running:
            # Run by another process (a `--no-wait` worker, another terminal): name it, so a
            # Ctrl-C while following says which process to stop instead of detaching blindly.
            return _replace(started, worker_pid=_local_owner(self.store.get(arn)))
        if detach:
            pid = spawn_worker(arn, self._environ)
            # The worker owns it from now on, not this command that is about to exit: until
            # the worker's own claim, a status or trigger would otherwise see a dead owner.
            self.store.claim(arn, pid)
            return _replace(started, worker_pid=pid)
        self._run_in_thread(arn)
        return _replace(started, in_process=True)

    def _run_in_thread(self, arn: str) -> None:
        failures: list[BaseException] = []

        def target() -> None:
            try:
                self.runtime.run(arn)
            except BaseException as exc:  # noqa: BLE001 - re-raised by follow() in the caller
                failures.append(exc)

        thread = threading.Thread(target=target, name=f"execution-{arn[-12:]}", daemon=True)
        thread.start()
        self._threads[arn] = (thread, failures)

    def follow(self, started: Started, *, interval: float | None = None) -> Iterator[Snapshot]:
        org_id, day = UUID(started.org_id), started.day
        own = self._threads.get(started.execution_arn)
        while True:
            alive = own[0].is_alive() if own else None
            current = self._snapshot(started.execution_arn, org_id, day)
            done = current.finished or (own is not None and not alive)
            if own is None and not current.finished:
                record = self.store.get(started.execution_arn)
                done = not owner_alive(record)  # its process died: nothing more will happen
            if done:
                if own is not None:
                    own[0].join()
                    if own[1]:
                        raise own[1][0]
                    current = self._snapshot(started.execution_arn, org_id, day)
                yield current
                return
            yield current
            self._sleep(0.15 if interval is None else interval)

    # -- read -----------------------------------------------------------------------------

    def _snapshot(self, arn: str, org_id: Any, day: date | None) -> Snapshot:
        record = self.store.get(arn)
        batch = None
        if org_id is not None and day is not None:
            try:
                batch = batch_summary(
                    self.db,
                    org_id,
                    day,
                    charged_since=record["start_date"],
                    shadow=bool((record.get("input") or {}).get("shadow")),
                )
            except SensoError:
                batch = None
        return Snapshot(_run(record), self.store.history(arn), batch)

    def describe(self, ref: str) -> Snapshot:
        record = self.store.get(ref)
        day_text = (record.get("input") or {}).get("batch_day")
        day = date.fromisoformat(day_text) if isinstance(day_text, str) else None
        return self._snapshot(record["execution_arn"], record.get("org_id"), day)

    def recent(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        org_ref: str | None = None,
        limit: int = 50,
    ) -> list[Run]:
        if status is not None and status not in STATUSES:
            raise InvalidInputError(f"--status {status!r} is not an execution status")
        org_id = OrgRepository(self.db).get(org_ref).org_id if org_ref else None
        # The org evaluations, as Step Functions lists one state machine's executions: the
        # dispatcher's own executions (trigger-batch) are not org runs.
        records = self.store.recent(
            status=status,
            since=since,
            org_id=org_id,
            limit=limit,
            state_machine_arn=state_machine_arn(),
        )
        return [_run(record) for record in records]

    # -- write ----------------------------------------------------------------------------

    def stop(self, ref: str, *, error: str | None = None, cause: str | None = None) -> Run:
        record = self.store.get(ref)
        if record["status"] != RUNNING:
            return _run(record)
        self.store.finish(record["execution_arn"], "ABORTED", None, error, cause)
        return _run(self.store.get(record["execution_arn"]))

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
        """The recorded history events and handler lines; a filter pattern and live tail are
        CloudWatch's (the command says so)."""
        from senso_cli.services.logs import LocalLogSource

        return LocalLogSource(
            self.db,
            filters,
            since,
            follow=follow,
            sleep=self._sleep,
            poll_interval=poll_interval,
            max_polls=max_polls,
        )

    def redrive(self, ref: str, *, dry_run: bool = False) -> RedriveOutcome:
        from senso_cli.services.redrive import redrive_action, redrive_local

        record = self.store.get(ref)
        arn, name = record["execution_arn"], record["name"]
        if dry_run:
            crashed = record["status"] == RUNNING and not owner_alive(record)
            action = redrive_action(record["status"], crashed=crashed)
            verb = "would_redrive" if action == "redrive" else "would_start_new_attempt"
            return RedriveOutcome(arn, name, record["status"], verb)
        done = redrive_local(self.runtime, arn)
        result = done.result
        if result is None:  # a later attempt of the org and day is running
            return RedriveOutcome(arn, name, record["status"], "skipped", done.reason)
        if done.action == "new_attempt":
            return RedriveOutcome(
                arn, name, result.status, "new_attempt", f"started {done.reason}",
                result.error, result.cause, done.execution_arn,
            )  # fmt: skip
        return RedriveOutcome(
            arn, name, result.status, "redriven", error=result.error, cause=result.cause
        )

    def redrive_many(
        self, *, since: datetime, status: str, dry_run: bool = False
    ) -> list[RedriveOutcome]:
        if status not in REDRIVABLE:
            raise InvalidInputError(
                f"--status {status} cannot be redriven", hint="use FAILED, TIMED_OUT or ABORTED"
            )
        records = self.store.recent(
            status=status, since=since, limit=1000, state_machine_arn=state_machine_arn()
        )
        return [self.redrive(record["execution_arn"], dry_run=dry_run) for record in records[::-1]]

    # -- many orgs ---------------------------------------------------------------------------

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
        """The dispatcher state machine on this runtime, run to its end in this process."""
        from handlers.dispatching import dispatch_through_dispatcher
        from handlers.pacing import check_max_concurrency
        from senso_cli.local.dispatcher import LocalDispatcher, run_dispatchers

        del calls_per_second  # nothing to pace: no API between here and the runtime
        limit = check_max_concurrency(
            self.runtime.settings.dispatch_max_concurrency
            if max_concurrency is None
            else max_concurrency
        )
        dispatcher = LocalDispatcher(self.runtime)
        orgs, started = dispatch_through_dispatcher(
            org_ids,
            day,
            dispatcher,
            max_concurrency=limit,
            triggered_by=triggered_by,
            shadow=shadow,
            on_planned=progress_stage(on_progress, "looking up executions"),
        )
        to_run = [o.execution_arn for o in orgs if o.outcome == "started" and o.execution_arn]
        run_dispatchers(
            dispatcher, to_run, on_finished=progress_stage(on_progress, "running executions")
        )
        ended = self.store.many(to_run)
        runs: list[DispatchedRun] = []
        for org in orgs:
            record = ended.get(org.execution_arn or "") if org.outcome == "started" else None
            reason = org.reason
            if record is not None and record["error"]:
                reason = f"{record['error']}: {record['cause']}"
            runs.append(
                DispatchedRun(
                    org.org_id,
                    org.outcome,
                    org.execution_arn,
                    reason,
                    final_status=record["status"] if record is not None else None,
                )
            )
        return Dispatch(runs, started, limit, shadow=shadow, waited=True)


def _replace(started: Started, **changes: Any) -> Started:
    from dataclasses import replace

    return replace(started, **changes)
