"""Rollout: the compare gate, force with a reason, decreases, dry runs, concurrency, SSM."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from senso_cli.aws.ssm import Parameters
from senso_cli.migration.rollout_state import (
    ChangeRequest,
    PostgresRolloutStore,
    RolloutConflictError,
    RolloutState,
    RolloutStore,
    SsmRolloutStore,
)
from senso_cli.services.compare import compare
from senso_cli.services.rollout import (
    GateResult,
    OrgRef,
    RolloutRefusedError,
    apply_rollout,
    plan_rollout,
    rollout_status,
    stage_gate,
)
from tests.functional.migration.synthetic import make_org, write_batch

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
ORGS = [OrgRef(str(uuid.UUID(int=n * 104729 + 7)), f"org-{n}") for n in range(1000)]


def shadowed(db: Database, *, discrepancy: bool) -> None:
    org = make_org(db, "acme")
    write_batch(db, org, YESTERDAY, "step_functions")
    write_batch(db, org, YESTERDAY, "inngest", drop_model="claude" if discrepancy else None)


def never_called() -> GateResult:
    raise AssertionError("the compare gate must not run")


def test_plan_shows_how_many_and_which_orgs_move() -> None:
    plan = plan_rollout(10, ORGS)
    assert plan.direction == "increase" and plan.destination == "Step Functions"
    assert 70 <= len(plan.moving) <= 130 and plan.on_sfn_after == len(plan.moving)
    at_10 = RolloutState(percent=10)
    wider = plan_rollout(50, ORGS, at_10)
    assert not {o.org_id for o in plan.moving} & {o.org_id for o in wider.moving}
    assert wider.on_sfn_after == len(plan.moving) + len(wider.moving)
    back = plan_rollout(0, ORGS, at_10)
    assert back.direction == "decrease" and back.moving == plan.moving
    assert plan_rollout(10, ORGS, at_10).moving == []
    for bad in (-1, 101, float("nan")):
        with pytest.raises(InvalidInputError, match="between 0 and 100"):
            plan_rollout(bad, ORGS)


def test_increase_refused_when_compare_fails_then_forced_with_reason(db: Database) -> None:
    shadowed(db, discrepancy=True)
    store = PostgresRolloutStore(db)
    gate = stage_gate(db, store)
    with pytest.raises(RolloutRefusedError) as refused:
        apply_rollout(store, 10, None, False, gate, actor="alice", orgs=ORGS)
    assert "gate did not pass" in refused.value.message and "cells" in refused.value.message
    assert "--force --reason" in (refused.value.hint or "")
    with pytest.raises(InvalidInputError, match="--force needs --reason"):
        apply_rollout(store, 10, "  ", True, gate, actor="alice", orgs=ORGS)
    assert store.load().history == []

    outcome = apply_rollout(store, 10, "INC-42 reviewed", True, never_called, actor="alice")
    assert outcome.changed and outcome.forced and outcome.gate is None
    state = store.load()
    assert (state.percent, state.updated_by, state.reason) == (10, "alice", "INC-42 reviewed")
    assert state.history[-1].forced and state.history[-1].previous_percent == 0


def test_increase_allowed_when_compare_passes_and_decrease_always(db: Database) -> None:
    shadowed(db, discrepancy=False)
    store = PostgresRolloutStore(db)
    outcome = apply_rollout(store, 25, "canary", False, stage_gate(db, store), actor="bob")
    assert outcome.changed and outcome.gate is not None and outcome.gate.verdict == "PASS"
    assert not outcome.forced
    lower = apply_rollout(store, 5, None, False, never_called, actor="bob")
    assert lower.changed and lower.plan.direction == "decrease"
    assert [c.percent for c in store.load().history] == [25, 5]


def test_dry_run_changes_nothing_and_same_percent_is_a_no_op(db: Database) -> None:
    shadowed(db, discrepancy=True)
    store = PostgresRolloutStore(db)
    dry = apply_rollout(store, 50, None, False, stage_gate(db, store), actor="c", dry_run=True)
    assert dry.refused and not dry.changed and store.load().history == []
    forced_dry = apply_rollout(store, 50, "why", True, never_called, actor="c", dry_run=True)
    assert forced_dry.dry_run and not forced_dry.changed and store.load().history == []
    apply_rollout(store, 50, "why", True, never_called, actor="c")
    again = apply_rollout(store, 50, "why", True, never_called, actor="c")
    assert not again.changed and len(store.load().history) == 1


def test_concurrent_rollouts_are_all_recorded_in_a_consistent_chain(db: Database) -> None:
    shadowed(db, discrepancy=False)
    passing = compare(db, datetime.now(UTC) - timedelta(days=7))
    assert passing.passed
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def gate() -> GateResult:
        return GateResult.of(passing)

    def operator(percent: float) -> None:
        store = PostgresRolloutStore(Database(db.url))  # its own connections
        try:
            barrier.wait()
            apply_rollout(store, percent, f"set {percent}", False, gate, actor=f"op{percent:g}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=operator, args=(p,)) for p in (10, 20, 30, 40, 50, 60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = PostgresRolloutStore(db).load().history
    assert sorted(c.updated_by for c in history) == ["op10", "op20", "op30", "op40", "op50", "op60"]
    previous = 0.0
    for change in history:
        assert change.previous_percent == previous
        previous = change.percent


def test_store_refuses_a_stale_expectation(db: Database) -> None:
    store = PostgresRolloutStore(db)
    store.record(ChangeRequest(percent=10, updated_by="a"), expected_percent=0)
    with pytest.raises(RolloutConflictError, match="moved to 10%"):
        store.record(ChangeRequest(percent=20, updated_by="b"), expected_percent=0)
    assert store.record(ChangeRequest(percent=10, updated_by="b"), expected_percent=0) is None
    with db.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM senso.rollout_changes")


def test_status_shows_stage_history_and_live_split(db: Database) -> None:
    acme, globex = make_org(db, "acme"), make_org(db, "globex")
    write_batch(db, acme, YESTERDAY, "step_functions")
    write_batch(db, acme, YESTERDAY, "inngest")
    write_batch(db, globex, YESTERDAY, "inngest", status="failed")
    write_batch(db, globex, YESTERDAY - timedelta(days=20), "step_functions")
    store = PostgresRolloutStore(db)
    apply_rollout(store, 10, "go", True, never_called, actor="dana")
    status = rollout_status(store, db)
    assert status.stage == "10% of orgs on Step Functions"
    assert [c.updated_by for c in status.state.history] == ["dana"]
    split = {row.orchestrator: row for row in status.split}
    assert (split["step_functions"].batches, split["inngest"].batches) == (1, 2)
    assert (split["inngest"].orgs, split["inngest"].failed) == (2, 1)


@pytest.fixture
def ssm_store(mocked_aws: None) -> SsmRolloutStore:
    return SsmRolloutStore(Parameters(boto3.client("ssm")), "/senso/test/rollout")


def test_ssm_store_keeps_its_history_in_parameter_versions(ssm_store: SsmRolloutStore) -> None:
    store: RolloutStore = ssm_store
    fresh = store.load()
    assert fresh.percent == 0 and not fresh.recorded and fresh.history == []
    apply_rollout(store, 10, "canary", True, never_called, actor="erin")
    apply_rollout(store, 50, None, False, lambda: _passing_stub(), actor="frank")
    assert not apply_rollout(store, 50, None, False, never_called, actor="frank").changed
    apply_rollout(store, 0, "back out", False, never_called, actor="erin")
    state = store.load()
    assert state.percent == 0 and state.reason == "back out"
    assert [(c.version, c.previous_percent, c.percent) for c in state.history] == [
        (1, 0, 10),
        (2, 10, 50),
        (3, 50, 0),
    ]
    assert state.history[0].forced and state.history[1].updated_by == "frank"
    with pytest.raises(RolloutConflictError):
        store.record(ChangeRequest(percent=30, updated_by="g"), expected_percent=50)
    history = boto3.client("ssm").get_parameter_history(Name="/senso/test/rollout")
    assert history["Parameters"][0]["Description"] == "rollout to 10% by erin: canary"


def test_ssm_store_rejects_a_corrupt_parameter(ssm_store: SsmRolloutStore) -> None:
    boto3.client("ssm").put_parameter(Name="/senso/test/rollout", Value="{oops", Type="String")
    with pytest.raises(InvalidInputError, match="not a rollout state"):
        ssm_store.load()


def _passing_stub() -> GateResult:
    return GateResult(True, "PASS", "PASS: stub")


def test_cli_rollout(
    cli_env: Database, runner: CliRunner, cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rehearsal home configured like a fresh stack: 0% until the first rollout.
    monkeypatch.setenv("SENSO_ROLLOUT_LOCAL_PERCENT", "0")
    shadowed(cli_env, discrepancy=True)
    for bad in ("-1", "101", "abc"):
        result = runner.invoke(cli, ["rollout", "--percent", bad])
        assert result.exit_code == 2, (bad, result.output)
    dry = runner.invoke(cli, ["rollout", "--percent", "50", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be REFUSED" in dry.output and "nothing changed" in dry.output
    refused = runner.invoke(cli, ["rollout", "--percent", "50"])
    assert refused.exit_code == 1
    assert "refusing to raise Step Functions from 0% to 50%" in refused.output
    assert "--force --reason" in refused.output
    no_reason = runner.invoke(cli, ["rollout", "--percent", "50", "--force"])
    assert no_reason.exit_code == 2 and "--force needs --reason" in no_reason.output
    forced = runner.invoke(cli, ["rollout", "--percent", "50", "--force", "--reason", "ok'd"])
    assert forced.exit_code == 0, forced.output
    assert "0% -> 50% (FORCED past the compare gate)" in forced.output
    same = runner.invoke(cli, ["rollout", "--percent", "50", "--json"])
    assert json.loads(same.output)["changed"] is False
    down = runner.invoke(cli, ["rollout", "--percent", "10", "--reason", "calm down"])
    assert down.exit_code == 0 and "50% -> 10%" in down.output
    status = runner.invoke(cli, ["rollout", "status", "--json"])
    data = json.loads(status.output)
    assert data["stage"] == "10% of orgs on Step Functions"
    assert [c["percent"] for c in data["state"]["history"]] == [50, 10]
    table = runner.invoke(cli, ["rollout", "status"])
    assert table.exit_code == 0 and "ok'd" in table.output and "inngest" in table.output
    missing = runner.invoke(cli, ["rollout"])
    assert missing.exit_code == 2 and "--percent" in missing.output
