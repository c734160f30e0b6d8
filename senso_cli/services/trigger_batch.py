"""Start many org evaluations at once through the dispatcher state machine.

The orgs (from a file, all of them, or those scheduled on a weekday) are resolved, split by
the rollout, and handed to the runs backend of the chosen side (`senso_cli.factory.runs`),
which plans each org's execution by the attempt policy every starter shares
(`handlers.dispatching`: a running execution is "already running", a succeeded one "already
succeeded", so re-running the same trigger-batch starts only what is missing) and starts one
dispatcher execution (asl/dispatcher-workflow.json) whose Map starts the rest, at most
`max_concurrency` at once. On AWS Step Functions runs it; locally senso's runtime runs it to
its end in this process and the report carries each execution's final status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, cast

from handlers.db.database import Database
from handlers.dispatching import reason_of
from handlers.errors import InvalidInputError, SensoError
from handlers.orgdata.schema import DAY_NAMES
from handlers.repositories.orgs import OrgRepository
from senso_cli.runs import Progress, Runs
from senso_cli.services.aws_runs import resolve_org
from senso_cli.services.routing import Decision

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
    # The dispatcher state machine's executions that start the orgs, and its limit.
    dispatcher_executions: list[str] = field(default_factory=list)
    max_concurrency: int | None = None
    shadow: bool = False

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


def run_batch(
    runs: Runs,
    refs: list[str],
    day: date,
    *,
    max_concurrency: int | None = None,
    shadow: bool = False,
    calls_per_second: float | None = None,
    triggered_by: str = "manual_batch",
    on_progress: Progress | None = None,
) -> BatchReport:
    """Resolve the orgs and hand them to one dispatcher execution on the chosen side.

    One org that cannot be resolved is a failed item; the others still start. Two references
    to the same org (its slug and its id) start it once: the later one is reported as what
    the first got.
    """
    by_org: dict[str, list[str]] = {}
    failed: dict[str, BatchItem] = {}
    for ref in refs:
        try:
            org_id = resolve_org(runs.db, ref).org_id
        except Exception as exc:  # noqa: BLE001 - one org's failure goes in the table
            failed[ref] = BatchItem(ref, "failed", reason=reason_of(exc))
            continue
        by_org.setdefault(org_id, []).append(ref)
    dispatched = runs.dispatch(
        list(by_org),
        day,
        max_concurrency=max_concurrency,
        shadow=shadow,
        triggered_by=triggered_by,
        calls_per_second=calls_per_second,
        on_progress=on_progress,
    )
    items: dict[str, BatchItem] = dict(failed)
    for run in dispatched.orgs:
        for ref in by_org.get(run.org_id, []):
            items[ref] = BatchItem(
                ref,
                cast(ItemOutcome, run.outcome),
                execution_arn=run.execution_arn,
                reason=run.reason,
                final_status=run.final_status,
            )
    return BatchReport(
        [items[ref] for ref in refs if ref in items],
        dispatcher_executions=dispatched.dispatcher_executions,
        max_concurrency=dispatched.max_concurrency,
        shadow=shadow,
    )
