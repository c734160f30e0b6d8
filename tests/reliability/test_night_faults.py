"""A real night on the real ASL: 30% provider faults, a model nobody routes, a step that runs out
of budget, an execution that times out. The invariants hold after each (each cell at most once,
charged exactly once when completed and never when failed, balance == ledger, no batch left
running), in both database modes. The faults come from a billable provider (a local server
speaking OpenAI's Responses API), so "charged exactly once" is about real charges; the two
cases that end with nothing charged (no route, timeout) keep the free simulated provider."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

from handlers.db.database import Database
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.settings import load_settings
from tests.billable import billable_providers
from tests.fakes.http_server import Reply, Request
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.conftest import FaultyOpenAI, write_home
from tests.reliability.invariants import check_invariants

FAST = "[cell_retry]\nmax_attempts = 4\ninitial_backoff_s = 0.01\nmax_backoff_s = 0.02\n"


def _runtime(
    db: Database,
    tmp_path: Path,
    config: str,
    definition: dict[str, Any] | None = None,
    server: FakeOpenAIServer | None = None,
) -> LocalRuntime:
    home = write_home(tmp_path, FAST + config)
    environ = {"SENSO_HOME": str(home)}
    if server is not None:
        # One HTTP attempt per cell attempt: the matrix step's own per-cell retries decide.
        providers = billable_providers(server, retry={"max_attempts": 1})
        environ |= {
            "SENSO_PROVIDERS_JSON": json.dumps(providers),
            "SENSO_EVALUATOR": "deterministic",
        }
    settings = load_settings(environ=environ).settings
    return LocalRuntime(db, settings, definition=definition, time_scale=0)


class StubbornOpenAI(FakeOpenAIServer):
    """Fails the first `failures` calls about one question with 500, then answers them."""

    def __init__(self, *, about: str, failures: int) -> None:
        super().__init__()
        self._about, self._left = about, failures
        self._guard = threading.Lock()

    def scripted(self, request: Request) -> Reply | None:
        reply = super().scripted(request)
        if reply is None and self._about in request.body.decode(errors="replace"):
            with self._guard:
                if self._left > 0:
                    self._left -= 1
                    return Reply(500, {"error": {"message": "upstream exploded"}})
        return reply


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
    mode_db: Database, mode_org: UUID, tmp_path: Path
) -> None:
    db, org_id = mode_db, mode_org
    with FaultyOpenAI(fault_rate=0.3, seed=11) as server:
        runtime = _runtime(db, tmp_path, "", server=server)
        result = _run(runtime, org_id, "faulty")
    assert server.faults > 0
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["completion"]["completed"] == 12
    assert result.output["usage"]["charged_cells"] == 12
    check_invariants(db)


def test_an_unrouted_model_fails_the_execution_and_charges_nothing(
    mode_db: Database, mode_org: UUID, tmp_path: Path
) -> None:
    db, org_id = mode_db, mode_org
    runtime = _runtime(db, tmp_path, "[providers]\ndefault_provider = 'none'\n")
    result = _run(runtime, org_id, "unrouted")
    assert (result.status, result.error) == ("FAILED", "Senso.BatchFailed")
    assert "no route for the model" in (result.cause or "")
    batch = _batch(db)
    assert batch["status"] == "failed" and "12 of 12 cells failed" in batch["error_cause"]
    check_invariants(db)


def test_a_step_out_of_budget_is_retried_for_its_failing_cells_only(
    mode_db: Database, mode_org: UUID, tmp_path: Path
) -> None:
    db, org_id = mode_db, mode_org
    # The 4 cells of one question (2 models x 2 locations) fail all four tries of the first
    # step run (16 calls); the state machine's retry runs only those 4 cells.
    with StubbornOpenAI(about="car loans", failures=16) as server:
        runtime = _runtime(db, tmp_path, "", server=server)
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
    assert (matrix["skipped_complete"], matrix["ran"]) == (8, 4)
    assert matrix["completed"] == 12 and result.output["usage"]["charged_cells"] == 12
    assert server.request_count == 8 + 16 + 4
    with db.connect() as conn:
        charges = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert charges is not None and charges["n"] == 12
    check_invariants(db)


def test_an_execution_timeout_leaves_no_batch_running(
    mode_db: Database, mode_org: UUID, tmp_path: Path
) -> None:
    db, org_id = mode_db, mode_org
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
