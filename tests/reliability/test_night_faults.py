"""A real night on the real ASL: 30% provider faults, a model nobody routes, a step that runs out
of budget, an execution that times out. The invariants hold after each (each cell at most once,
charged exactly once when completed and never when failed, balance == ledger, no batch left
running)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from uuid import UUID

from handlers.db.database import Database
from handlers.settings import load_settings
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from tests.reliability.conftest import write_home
from tests.reliability.invariants import check_invariants

FAST = "[cell_retry]\nmax_attempts = 4\ninitial_backoff_s = 0.01\nmax_backoff_s = 0.02\n"


def _runtime(
    db: Database, tmp_path: Path, config: str, definition: dict[str, Any] | None = None
) -> LocalRuntime:
    home = write_home(tmp_path, FAST + config)
    settings = load_settings(environ={"SENSO_HOME": str(home)}).settings
    return LocalRuntime(db, settings, definition=definition, time_scale=0)


def _run(runtime: LocalRuntime, org_id: UUID, name: str) -> Any:
    started = runtime.start({"org_id": str(org_id)}, name=name, org_id=org_id)
    return runtime.run(started.execution_arn)


def _batch(db: Database) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT b.status, s.error_name, s.error_cause FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert row is not None
    return dict(row)


def test_thirty_percent_faults_complete_every_cell(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    runtime = _runtime(db, tmp_path, "[providers.simulated]\nerror_rate = 0.3\n")
    result = _run(runtime, org_id, "faulty")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["completion"]["completed"] == 12
    assert result.output["usage"]["charged_cells"] == 12
    check_invariants(db)


def test_an_unrouted_model_fails_the_execution_and_charges_nothing(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    runtime = _runtime(db, tmp_path, "[providers]\ndefault_provider = 'none'\n")
    result = _run(runtime, org_id, "unrouted")
    assert (result.status, result.error) == ("FAILED", "Senso.BatchFailed")
    assert "no route for the model" in (result.cause or "")
    batch = _batch(db)
    assert batch["status"] == "failed" and "12 of 12 cells failed" in batch["error_cause"]
    check_invariants(db)


def test_a_step_out_of_budget_is_retried_for_its_failing_cells_only(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    # Each attempt at a cell draws again; with four tries per step run and 60% faults some
    # cells outlast a step run, and the state machine's retry runs only those.
    runtime = _runtime(db, tmp_path, "[providers.simulated]\nerror_rate = 0.6\nmax_batch = 2\n")
    started = runtime.start({"org_id": str(org_id)}, name="budget", org_id=org_id)
    result = runtime.run(started.execution_arn)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    failures = [
        e["taskFailedEventDetails"]
        for e in runtime.store.history(started.execution_arn)
        if e["type"] == "TaskFailed"
    ]
    assert failures and all(f["error"] == "Senso.Transient" for f in failures)
    matrix = result.output["matrix"]
    # The last run asked only for the cells the earlier runs left failing.
    assert matrix["skipped_complete"] > 0 and matrix["ran"] == 12 - matrix["skipped_complete"]
    assert matrix["completed"] == 12
    check_invariants(db)


def test_an_execution_timeout_leaves_no_batch_running(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    definition = copy.deepcopy(load_definition())
    definition["TimeoutSeconds"] = 1
    # One answer alone outlasts the execution's timeout: cells run concurrently, so shorter
    # answers let a quiet machine finish the whole matrix inside the second.
    runtime = _runtime(
        db, tmp_path, "[providers.simulated]\nlatency_ms = 2500\nmax_batch = 1\n", definition
    )
    result = _run(runtime, org_id, "late")
    assert result.status == "TIMED_OUT"
    batch = _batch(db)
    assert (batch["status"], batch["error_name"]) == ("failed", "States.Timeout")
    check_invariants(db)
