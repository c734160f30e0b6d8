"""The steps against real PostgreSQL: batches, balance, matrix, usage, completion, failure."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import InsufficientCreditsError, InvalidInputError
from handlers.runtime import WorkflowServices, build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings
from tests.billable import billable_providers
from tests.fakes.openai_server import FakeOpenAIServer


def _count(db: Database, sql: str, *params: object) -> int:
    with db.connect() as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(next(iter(row.values())))


def _balance(db: Database, org_id: UUID) -> Decimal:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT current_balance FROM credit_balances WHERE org_id = %s", (org_id,)
        ).fetchone()
    return Decimal(row["current_balance"]) if row else Decimal(0)


def test_racing_triggers_make_one_batch(db: Database, org_id: UUID) -> None:
    results: list[str] = []
    barrier = threading.Barrier(10)

    def trigger() -> None:
        barrier.wait()
        out = run_step("GetOrCreateBatch", {"org_id": str(org_id)}, db=db)
        results.append(out["batch_id"])

    threads = [threading.Thread(target=trigger) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 10 and len(set(results)) == 1
    assert _count(db, "SELECT count(*) FROM question_run_batches") == 1


def test_full_workflow_completes_charges_and_aggregates(
    db: Database, org_id: UUID, billable_services: WorkflowServices
) -> None:
    state = run_inline(db, {"org_id": str(org_id)}, services=billable_services)
    assert state["matrix"]["completed"] == 12 and state["matrix"]["failed"] == 0
    assert state["matrix"]["simulated"] is False
    assert state["usage"]["charged_cells"] == 12
    assert Decimal(str(state["usage"]["amount"])) == Decimal("0.60")
    assert _balance(db, org_id) == Decimal("99.40")
    assert state["completion"]["status"] == "completed"
    with db.connect() as conn:
        batch = conn.execute(
            "SELECT b.*, s.aggregates FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert batch["status"] == "completed" and batch["is_latest"]
    assert set(batch["aggregates"]["by_model"]) == {"gpt-4.1", "perplexity"}
    assert batch["aggregates"]["overall"]["cells"] == 12


def test_same_day_retrigger_of_a_completed_batch_skips_everything(
    db: Database, org_id: UUID, billable_services: WorkflowServices
) -> None:
    run_inline(db, {"org_id": str(org_id)}, services=billable_services)
    state = run_inline(db, {"org_id": str(org_id)}, services=billable_services)
    assert state["batch"]["status"] == "completed" and "matrix" not in state
    assert _count(db, "SELECT count(*) FROM credit_ledger WHERE source_type = 'question_run'") == 12


def test_track_usage_twice_charges_once(
    db: Database, org_id: UUID, billable_services: WorkflowServices
) -> None:
    state = run_inline(db, {"org_id": str(org_id)}, services=billable_services)
    balance = _balance(db, org_id)
    again = run_step("TrackUsage", state, db=db)
    assert again["charged_cells"] == 0 and again["already_charged"] == 12
    assert _balance(db, org_id) == balance


def test_insufficient_credits_fails_before_any_provider_call(
    db: Database, org_id: UUID, services: WorkflowServices
) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0.10")
    with pytest.raises(InsufficientCreditsError, match="does not cover 12 cells"):
        run_inline(db, {"org_id": str(org_id)}, services=services)
    assert _count(db, "SELECT count(*) FROM question_runs") == 0
    with db.connect() as conn:
        batch = conn.execute(
            "SELECT b.status, s.error_name FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert batch == {"status": "failed", "error_name": "Senso.InsufficientCredits"}


def test_unknown_model_fails_its_cells_not_the_org(
    db: Database, org_id: UUID, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    providers = billable_providers(billable_server)
    providers["routes"] = {"gpt-4.1": providers["routes"]["gpt-4.1"]}
    # Half the matrix has no route: allowed here, so the other half completes and is charged.
    flags = {"providers": providers, "max_failed_cells_ratio": 0.5, "evaluator": "deterministic"}
    settings = load_settings(flags=flags, environ={"SENSO_HOME": str(tmp_path)})
    services = build_services(settings.settings)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["matrix"]["completed"] == 6 and state["matrix"]["failed"] == 6
    assert any("perplexity" in error for error in state["matrix"]["errors"])
    assert state["usage"]["charged_cells"] == 6  # failed cells are never charged
    assert state["completion"]["status"] == "completed"


def test_resumed_matrix_makes_no_call_for_complete_cells(
    db: Database, org_id: UUID, services: WorkflowServices
) -> None:
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    with db.transaction() as conn:
        # Forget four cells, as if the step had been killed before writing them.
        gone = conn.execute(
            "DELETE FROM senso.cell_runs WHERE question_run_id IN (SELECT question_run_id "
            "FROM senso.cell_runs ORDER BY question_run_id LIMIT 4) RETURNING question_run_id"
        ).fetchall()
        conn.execute(
            "DELETE FROM question_runs WHERE question_run_id = ANY(%s)",
            ([row["question_run_id"] for row in gone],),
        )
    again = run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=services)
    assert again["ran"] == 4 and again["skipped_complete"] == 8 and again["completed"] == 12


def test_mark_batch_failed_is_idempotent(db: Database, org_id: UUID) -> None:
    batch = run_step("GetOrCreateBatch", {"org_id": str(org_id)}, db=db)
    payload = {
        "org_id": str(org_id),
        "batch": batch,
        "error": {"Error": "Senso.Transient", "Cause": "x"},
    }
    first = run_step("MarkBatchFailed", payload, db=db)
    second = run_step("MarkBatchFailed", payload, db=db)
    assert first["recorded"] and second["recorded"]
    assert _count(db, "SELECT count(*) FROM question_run_batches WHERE status = 'failed'") == 1


def test_bad_step_input_is_invalid_input(db: Database) -> None:
    with pytest.raises(InvalidInputError, match="org_id"):
        run_step("GetOrCreateBatch", {"org_id": "not-a-uuid"}, db=db)
    with pytest.raises(InvalidInputError, match="unknown step"):
        run_step("NoSuchStep", {}, db=db)


def _question_run_charges(db: Database) -> int:
    return _count(db, "SELECT count(*) FROM credit_ledger WHERE source_type = 'question_run'")


def test_a_simulated_batch_is_free(
    db: Database, org_id: UUID, services: WorkflowServices
) -> None:
    # Simulated answers are generated offline and cost nobody anything: no ledger row, no
    # balance change, and the batch still completes.
    before = _balance(db, org_id)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["matrix"]["simulated"] is True and state["matrix"]["completed"] == 12
    assert state["usage"]["charged_cells"] == 0 and state["usage"]["simulated_cells"] == 12
    assert Decimal(str(state["usage"]["amount"])) == 0
    assert state["completion"]["status"] == "completed"
    assert _question_run_charges(db) == 0
    assert _balance(db, org_id) == before


def test_only_the_billable_cells_of_a_mixed_batch_are_charged(
    db: Database, org_id: UUID, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    providers = billable_providers(billable_server)
    providers["routes"]["perplexity"] = {"provider": "simulated"}
    settings = load_settings(
        flags={"providers": providers, "evaluator": "deterministic"},
        environ={"SENSO_HOME": str(tmp_path)},
    )
    services = build_services(settings.settings)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["usage"]["charged_cells"] == 6 and state["usage"]["simulated_cells"] == 6
    assert _question_run_charges(db) == 6
    with db.connect() as conn:
        charged_models = conn.execute(
            "SELECT DISTINCT m.name FROM credit_ledger l "
            "JOIN question_runs r ON r.question_run_id::text = l.source_id "
            "JOIN geo_models m ON m.geo_model_id = r.model_id"
        ).fetchall()
    assert [row["name"] for row in charged_models] == ["gpt-4.1"]
    assert _balance(db, org_id) == Decimal(100) - Decimal(str(state["usage"]["amount"]))
