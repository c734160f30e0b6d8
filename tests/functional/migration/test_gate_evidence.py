"""The gate's evidence is per stage: a raise needs enough paired batches, on enough days, all
gathered after the current stage began; pairs recorded before a change never vouch for it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from handlers.db.database import Database
from senso_cli.migration.rollout_state import PostgresRolloutStore
from senso_cli.services.rollout import (
    GateResult,
    RolloutRefusedError,
    apply_rollout,
    stage_gate,
)
from tests.functional.migration.synthetic import SyntheticOrg, make_org, write_batch


def pair(db: Database, org: SyntheticOrg, started: datetime, *, differ: bool = False) -> None:
    for side in ("step_functions", "inngest"):
        drop = "claude" if differ and side == "inngest" else None
        write_batch(db, org, started.date(), side, started_at=started, drop_model=drop)


def test_pairs_from_before_the_stage_do_not_walk_the_gate(db: Database) -> None:
    orgs = [make_org(db, f"org{n}") for n in range(4)]
    store = PostgresRolloutStore(db)
    # Passing pairs yesterday: evidence for the 0% stage.
    pair(db, orgs[0], datetime.now(UTC) - timedelta(days=1))
    first = apply_rollout(store, 10, None, False, stage_gate(db, store), actor="a")
    assert first.changed and first.gate is not None and first.gate.passed
    began = store.load().stage_started_at
    assert began is not None
    # A pair on the stage's first day, but started a minute before the change.
    pair(db, orgs[1], began - timedelta(minutes=1))

    def gate_at(moment: datetime) -> Callable[[], GateResult]:
        return stage_gate(db, store, now=lambda: moment, min_pairs=2, min_days=2)

    with pytest.raises(RolloutRefusedError) as refused:
        apply_rollout(store, 50, None, False, gate_at(began + timedelta(minutes=1)), actor="b")
    assert "NOT ENOUGH EVIDENCE: 0 paired batches on 0 days" in refused.value.message
    assert "at least 2 on at least 2 days" in refused.value.message

    pair(db, orgs[2], began + timedelta(days=1))
    day2 = began + timedelta(days=1, hours=1)
    with pytest.raises(RolloutRefusedError, match="1 paired batches on 1 days"):
        apply_rollout(store, 50, None, False, gate_at(day2), actor="b")

    pair(db, orgs[3], began + timedelta(days=2))
    day3 = began + timedelta(days=2, hours=1)
    dry = apply_rollout(store, 50, None, False, gate_at(day3), actor="b", dry_run=True)
    assert not dry.refused and dry.gate is not None and dry.gate.evidence is not None
    assert (dry.gate.evidence.pairs, dry.gate.evidence.days) == (2, 2)

    # A mismatch after the stage began fails the gate whatever the count.
    pair(db, orgs[0], began + timedelta(days=2, minutes=5), differ=True)
    with pytest.raises(RolloutRefusedError, match="FAIL"):
        apply_rollout(store, 50, None, False, gate_at(day3), actor="b")
    assert store.load().percent == 10


def test_force_needs_a_reason_and_is_marked(db: Database) -> None:
    store = PostgresRolloutStore(db)
    forced = apply_rollout(store, 10, "drill resume", True, stage_gate(db, store), actor="a")
    assert forced.forced and forced.gate is None
    change = store.load().history[-1]
    assert change.forced and change.reason == "drill resume"
    # The forced change starts a stage too: nothing gathered yet, so the next raise is refused.
    with pytest.raises(RolloutRefusedError, match=r"NO DATA|NOT ENOUGH EVIDENCE"):
        apply_rollout(store, 50, None, False, stage_gate(db, store), actor="a")
