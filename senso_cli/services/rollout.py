"""Move orgs from Inngest to Step Functions in stages, gated on `compare`.

An increase of the Step Functions percentage is refused unless the compare gate passes for
the current stage (as progressive-delivery tools gate a canary on its analysis); `force`
overrides it only together with a reason, which is recorded. Decreases are always allowed:
backing out must never be blocked. Asking for the current percentage changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import pandas as pd

from handlers.db.database import Database
from handlers.errors import InvalidInputError, SensoError
from handlers.repositories.orgs import OrgRepository
from handlers.repositories.sides import batches_sql
from senso_cli.migration import router
from senso_cli.migration.rollout_state import (
    ChangeRequest,
    RolloutChange,
    RolloutConflictError,
    RolloutState,
    RolloutStore,
)
from senso_cli.services.compare import CompareResult, compare
from senso_cli.services.compare.metrics import SIDES

Direction = Literal["increase", "decrease", "unchanged"]
RECENT_DAYS = 7
# Each round of a race has a winner, so this many operators at once all get through.
MAX_ATTEMPTS = 10


class RolloutRefusedError(SensoError):
    """The compare gate did not pass, so the Step Functions share may not grow."""

    error_name = "Senso.RolloutRefused"


@dataclass(frozen=True)
class OrgRef:
    org_id: str
    slug: str


@dataclass(frozen=True)
class RolloutPlan:
    from_percent: float
    to_percent: float
    total_orgs: int
    moving: list[OrgRef]
    on_sfn_after: int

    @property
    def direction(self) -> Direction:
        if self.to_percent > self.from_percent:
            return "increase"
        return "decrease" if self.to_percent < self.from_percent else "unchanged"

    @property
    def destination(self) -> str:
        return "Step Functions" if self.direction == "increase" else "Inngest"

    @property
    def on_inngest_after(self) -> int:
        return self.total_orgs - self.on_sfn_after


@dataclass(frozen=True)
class Evidence:
    """Paired batches gathered since the current stage began, against what a raise needs."""

    pairs: int
    days: int
    min_pairs: int
    min_days: int
    stage_started_at: datetime | None

    @property
    def enough(self) -> bool:
        return self.pairs >= self.min_pairs and self.days >= self.min_days

    def summary(self) -> str:
        since = (
            f"since the stage began at {self.stage_started_at:%Y-%m-%d %H:%M} UTC"
            if self.stage_started_at
            else f"in the last {RECENT_DAYS} days"
        )
        return (
            f"{self.pairs} paired batches on {self.days} days {since}; a raise needs at least "
            f"{self.min_pairs} on at least {self.min_days} days"
        )


@dataclass(frozen=True)
class GateResult:
    passed: bool
    verdict: str
    summary: str
    failed_metrics: list[str] = field(default_factory=list)
    evidence: Evidence | None = None

    @classmethod
    def of(cls, result: CompareResult, evidence: Evidence | None = None) -> GateResult:
        if evidence is None or not result.passed or evidence.enough:
            summary = result.summary()
            if evidence is not None and result.passed:
                summary += f"; evidence: {evidence.summary()}"
            return cls(result.passed, result.verdict, summary, result.failed_metrics, evidence)
        return cls(
            False,
            "NOT ENOUGH EVIDENCE",
            f"NOT ENOUGH EVIDENCE: {evidence.summary()} (compare: {result.summary()})",
            [],
            evidence,
        )


@dataclass(frozen=True)
class RolloutOutcome:
    plan: RolloutPlan
    changed: bool
    dry_run: bool
    forced: bool
    where: str
    gate: GateResult | None = None
    change: RolloutChange | None = None
    # Dry runs report a refusal instead of raising it.
    refused: bool = False


def validate_percent(percent: float) -> float:
    if math.isnan(percent) or not 0 <= percent <= 100:
        raise InvalidInputError(
            f"--percent must be between 0 and 100, got {percent:g}",
            hint="e.g. `senso rollout --percent 10` puts 10% of orgs on Step Functions",
        )
    return float(percent)


def list_org_refs(db: Database) -> list[OrgRef]:
    """Every live org, the population the router splits."""
    return [OrgRef(str(org.org_id), org.slug) for org in OrgRepository(db).list_all()]


def plan_rollout(
    percent: float, orgs: Sequence[OrgRef], current: RolloutState | None = None
) -> RolloutPlan:
    """How many and which orgs change sides when the percentage goes to `percent`."""
    percent = validate_percent(percent)
    current = current or RolloutState()
    ids = [org.org_id for org in orgs]
    moving_ids = set(router.moved(ids, current.salt, current.percent, percent))
    on_sfn = router.split(ids, percent, current.salt).sfn
    return RolloutPlan(
        from_percent=current.percent,
        to_percent=percent,
        total_orgs=len(orgs),
        moving=[org for org in orgs if org.org_id in moving_ids],
        on_sfn_after=len(on_sfn),
    )


def count_evidence(
    result: CompareResult, stage_started_at: datetime | None, min_pairs: int, min_days: int
) -> Evidence:
    """The pairs both of whose batches started after the stage began, and their batch days."""
    pairs = result.paired.pairs
    if stage_started_at is not None and not pairs.empty:
        start = pd.Timestamp(stage_started_at)
        after = pd.Series(True, index=pairs.index)
        for side in SIDES:
            started = pd.to_datetime(pairs[f"started_at__{side}"], utc=True)
            after &= started.notna() & (started >= start)
        pairs = pairs[after]
    days = int(pairs["batch_day"].nunique()) if not pairs.empty else 0
    return Evidence(len(pairs), days, min_pairs, min_days, stage_started_at)


def stage_gate(
    db: Database,
    store: RolloutStore,
    *,
    now: Callable[[], datetime] | None = None,
    tolerance: float = 0.01,
    min_pairs: int = 1,
    min_days: int = 1,
) -> Callable[[], GateResult]:
    """The gate for the current stage: compare over the batch days since the stage began (at
    most the last RECENT_DAYS days) must pass, on at least `min_pairs` paired batches across
    `min_days` batch days whose batches both started after the stage began. Pairs recorded
    before a change never vouch for the stage that change started."""

    def gate() -> GateResult:
        moment = (now or (lambda: datetime.now(UTC)))()
        oldest = moment - timedelta(days=RECENT_DAYS)
        started = store.load().stage_started_at
        since = max(started, oldest) if started else oldest
        result = compare(db, since, moment, tolerance=tolerance)
        return GateResult.of(result, count_evidence(result, started, min_pairs, min_days))

    return gate


def _refusal(plan: RolloutPlan, gate: GateResult) -> RolloutRefusedError:
    return RolloutRefusedError(
        f"refusing to raise Step Functions from {plan.from_percent:g}% to "
        f"{plan.to_percent:g}%: the gate did not pass for the current stage. {gate.summary}",
        hint="see `senso compare --since 7d`; to accept the differences pass --force --reason TEXT",
    )


def apply_rollout(
    store: RolloutStore,
    percent: float,
    reason: str | None,
    force: bool,
    compare_gate: Callable[[], GateResult],
    *,
    actor: str,
    orgs: Sequence[OrgRef] = (),
    dry_run: bool = False,
) -> RolloutOutcome:
    """Record the new percentage if allowed; see the module docstring for the rules."""
    percent = validate_percent(percent)
    reason = (reason or "").strip() or None
    if force and reason is None:
        raise InvalidInputError(
            "--force needs --reason: a forced rollout must say why",
            hint='e.g. --force --reason "compare differences reviewed in INC-123"',
        )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        current = store.load()
        plan = plan_rollout(percent, orgs, current)
        if plan.direction == "unchanged":
            return RolloutOutcome(plan, False, dry_run, False, store.where)
        gate: GateResult | None = None
        forced = plan.direction == "increase" and force
        if plan.direction == "increase" and not force:
            gate = compare_gate()
            if not gate.passed:
                if dry_run:
                    return RolloutOutcome(plan, False, True, False, store.where, gate, refused=True)
                raise _refusal(plan, gate)
        if dry_run:
            return RolloutOutcome(plan, False, True, forced, store.where, gate)
        request = ChangeRequest(percent=percent, updated_by=actor, reason=reason, forced=forced)
        try:
            change = store.record(request, expected_percent=current.percent)
        except RolloutConflictError:
            # Another operator moved the stage: decide again against the new one.
            if attempt == MAX_ATTEMPTS:
                raise
            continue
        return RolloutOutcome(plan, change is not None, False, forced, store.where, gate, change)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class SplitRow:
    orchestrator: str
    batches: int
    orgs: int
    completed: int
    failed: int
    in_progress: int


@dataclass(frozen=True)
class RolloutStatus:
    state: RolloutState
    where: str
    since: datetime
    split: list[SplitRow]

    @property
    def stage(self) -> str:
        return describe_stage(self.state)


def describe_stage(state: RolloutState) -> str:
    """The stage in words; routing, dry run and rollback read the same `state`."""
    percent = state.percent
    if percent == 0:
        words = "0% (all orgs on Inngest)"
    elif percent == 100:
        words = "100% (all orgs on Step Functions)"
    else:
        words = f"{percent:g}% of orgs on Step Functions"
    return words if state.recorded else f"{words}; {state.initial_note}"


def rollout_status(
    store: RolloutStore, db: Database, *, now: datetime | None = None, days: int = RECENT_DAYS
) -> RolloutStatus:
    """The stage, its history, and how recent batches actually split by orchestrator."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    with db.connect(autocommit=True) as conn:
        # Shadow batches are not part of the split: the product never sees them.
        query = f"""SELECT orchestrator, count(*) AS batches, count(DISTINCT org_id) AS orgs,
                       count(*) FILTER (WHERE status = 'completed') AS completed,
                       count(*) FILTER (WHERE status = 'failed') AS failed,
                       count(*) FILTER (WHERE status IN ('pending', 'running')) AS in_progress
                    FROM ({batches_sql(db.tables)}) b WHERE batch_day >= %s AND NOT shadow
                    GROUP BY orchestrator ORDER BY orchestrator DESC"""  # noqa: S608
        rows = conn.execute(query, (since.date(),)).fetchall()
    split = [SplitRow(**row) for row in rows]
    return RolloutStatus(store.load(), store.where, since, split)
