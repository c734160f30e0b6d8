"""Start many org evaluations at once: on AWS (StartExecution) or on the local runtime.

On AWS every org goes through `handlers.executions.start_org_execution` with bulk semantics:
a running execution is "already running", a succeeded one "already succeeded" (today's batch
is complete), so re-running the same trigger-batch starts only what is missing. A shared
token bucket keeps the whole run under `rate` StartExecution calls per second whatever the
concurrency, and throttling that still happens is absorbed by backoff.

Locally there is no service to hand executions to, so each started execution runs to its end
in this process, `concurrency` at a time (threads over the local runtime), and the report
carries each one's final status. A worker process per org (`spawn_worker`) would return at
once but put a thousand processes on one laptop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from handlers.db.database import Database
from handlers.errors import InvalidInputError, SensoError
from handlers.executions import ExecutionApi, start_org_execution
from handlers.orgdata.schema import DAY_NAMES
from handlers.repositories.orgs import OrgRepository
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.aws_runs import ResolvedOrg, resolve_org
from senso_cli.services.routing import Decision
from senso_cli.services.trigger import start_local

ItemOutcome = Literal[
    "started", "already_running", "already_succeeded", "failed", "routed_to_inngest"
]


@dataclass(frozen=True)
class BatchItem:
    ref: str
    outcome: ItemOutcome
    execution_arn: str | None = None
    reason: str | None = None
    final_status: str | None = None  # local runs only: how the execution ended


@dataclass
class BatchReport:
    items: list[BatchItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = {
            "started": 0,
            "already_running": 0,
            "already_succeeded": 0,
            "failed": 0,
            "routed_to_inngest": 0,
        }
        for item in self.items:
            counts[item.outcome] += 1
        if not counts["routed_to_inngest"]:
            del counts["routed_to_inngest"]  # only shown while a rollout splits the orgs
        return counts

    @property
    def failed(self) -> list[BatchItem]:
        return [item for item in self.items if item.outcome == "failed"]


# -- choosing the orgs -------------------------------------------------------------------------


def read_org_file(path: Path) -> list[str]:
    """One org id or slug per line; blank lines and `#` comments are ignored."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    refs = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    refs = list(dict.fromkeys(ref for ref in refs if ref))  # duplicates would double-count
    if not refs:
        raise InvalidInputError(f"{path} lists no orgs", hint="one org id or slug per line")
    return refs


def parse_day_of_week(value: str, *, today: date) -> int:
    """0 (Monday) .. 6 (Sunday), a weekday name, or `today`."""
    lowered = value.strip().lower()
    if lowered == "today":
        return today.weekday()
    if lowered.isdigit() and 0 <= int(lowered) <= 6:
        return int(lowered)
    for number, name in enumerate(DAY_NAMES):
        if lowered in (name, name[:3]):
            return number
    raise InvalidInputError(
        f"--schedule-day {value!r} is not a weekday",
        hint="use 0 (Monday) .. 6 (Sunday), a name such as monday, or today",
    )


def select_orgs(
    db: Database | None,
    *,
    orgs_file: Path | None = None,
    all_orgs: bool = False,
    schedule_day: str | None = None,
    today: date,
) -> list[str]:
    """The org references to trigger, from exactly one of the three sources."""
    chosen = [orgs_file is not None, all_orgs, schedule_day is not None]
    if sum(chosen) != 1:
        raise InvalidInputError(
            "choose the orgs with exactly one of --orgs FILE, --all, --schedule-day DAY"
        )
    if orgs_file is not None:
        return read_org_file(orgs_file)
    if db is None:
        raise InvalidInputError(
            "--all and --schedule-day need the database, which is not reachable",
            hint="set environments.<name>.database_url, or pass --orgs FILE with org UUIDs",
        )
    repo = OrgRepository(db)
    if all_orgs:
        return [str(org.org_id) for org in repo.list_all()]
    assert schedule_day is not None
    return [
        str(org_id) for org_id in repo.scheduled_on(parse_day_of_week(schedule_day, today=today))
    ]


def split_by_route(
    db: Database | None, refs: list[str], decide: Callable[[str], Decision]
) -> tuple[list[str], list[BatchItem]]:
    """The refs that run on Step Functions here, and items for those routed to Inngest.

    Orgs routed to Inngest are left to the legacy side (its own schedule), exactly as the
    dispatcher does; they are listed so the operator sees the split.
    """
    to_sfn: list[str] = []
    to_inngest: list[BatchItem] = []
    repo = OrgRepository(db) if db is not None else None
    for ref in refs:
        try:
            org_id = str(repo.get(ref).org_id) if repo is not None else ref
        except SensoError:
            to_sfn.append(ref)  # the start reports the unknown org with its reason
            continue
        decision = decide(org_id)
        if decision.target == "sfn":
            to_sfn.append(ref)
        else:
            to_inngest.append(BatchItem(ref, "routed_to_inngest", reason=decision.reason))
    return to_sfn, to_inngest


# -- running -----------------------------------------------------------------------------------


def _reason(exc: Exception) -> str:
    return exc.message if isinstance(exc, SensoError) else f"{type(exc).__name__}: {exc}"


def trigger_aws(
    api: ExecutionApi,
    refs: Iterable[str],
    day: date,
    *,
    db: Database | None,
    concurrency: int = 8,
    triggered_by: str = "manual_batch",
    on_item: Callable[[BatchItem], None] | None = None,
) -> BatchReport:
    """StartExecution for every org, `concurrency` calls in flight; never raises per org."""

    def one(ref: str) -> BatchItem:
        try:
            org: ResolvedOrg = resolve_org(db, ref)
            started = start_org_execution(api, org.org_id, day, triggered_by=triggered_by)
        except Exception as exc:  # noqa: BLE001 - one org's failure goes in the table
            return BatchItem(ref, "failed", reason=_reason(exc))
        return BatchItem(ref, started.outcome, execution_arn=started.execution_arn)

    return _run_all(one, refs, concurrency, "trigger", on_item)


def trigger_local(
    runtime: LocalRuntime,
    refs: Iterable[str],
    day: date,
    *,
    concurrency: int = 2,
    triggered_by: str = "manual_batch",
    on_item: Callable[[BatchItem], None] | None = None,
) -> BatchReport:
    """Start each org on the local runtime and run the started ones, `concurrency` at once."""

    def one(ref: str) -> BatchItem:
        try:
            result = start_local(
                runtime, ref, day=day, triggered_by=triggered_by, skip_succeeded=True
            )
        except Exception as exc:  # noqa: BLE001 - one org's failure goes in the table
            return BatchItem(ref, "failed", reason=_reason(exc))
        arn = result.started.execution_arn
        if result.already_running:
            return BatchItem(ref, "already_running", execution_arn=arn)
        if result.already_succeeded:
            return BatchItem(ref, "already_succeeded", execution_arn=arn)
        try:
            run = runtime.run(arn)
        except Exception as exc:  # noqa: BLE001
            return BatchItem(ref, "failed", execution_arn=arn, reason=_reason(exc))
        reason = f"{run.error}: {run.cause}" if run.error else None
        return BatchItem(ref, "started", arn, reason=reason, final_status=run.status)

    return _run_all(one, refs, concurrency, "local-run", on_item)


def _run_all(
    one: Callable[[str], BatchItem],
    refs: Iterable[str],
    concurrency: int,
    name: str,
    on_item: Callable[[BatchItem], None] | None,
) -> BatchReport:
    """Run `one` over the refs in a pool; report in input order, progress in finish order."""
    if concurrency < 1:
        raise InvalidInputError("--concurrency must be at least 1")
    ordered = list(refs)
    items: list[BatchItem | None] = [None] * len(ordered)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=name) as pool:
        futures = {pool.submit(one, ref): index for index, ref in enumerate(ordered)}
        for future in as_completed(futures):
            item = future.result()
            items[futures[future]] = item
            if on_item is not None:
                on_item(item)
    return BatchReport([item for item in items if item is not None])
