"""The matrix step retries cells, not chunks: transient failures come back after a backoff that
honours Retry-After, permanent ones fail their cell with the reason at once, and cells still
failing when the budget runs out fail the step as retryable so the next attempt runs only them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import ProviderError, ProviderTransientError, TransientError
from handlers.providers.base import CellPrompt, ProviderAnswer, ProviderFailure
from handlers.providers.registry import ProviderRegistry
from handlers.providers.simulated import SimulatedProvider
from handlers.runtime import WorkflowServices, build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings

FAST_RETRIES = {"max_attempts": 6, "initial_backoff_s": 0.01, "max_backoff_s": 0.02}


class Scripted:
    """Answers like the simulator unless `fault(prompt, attempt)` says otherwise."""

    name = "simulated"

    def __init__(self, fault: Any, max_batch: int = 20) -> None:
        self.max_batch = max_batch
        self._fault = fault
        self._sim = SimulatedProvider(seed=7)
        self._lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.calls: list[tuple[float, list[str]]] = []

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        with self._lock:
            self.calls.append((time.monotonic(), [p.cell_key for p in prompts]))
            for prompt in prompts:
                self.attempts[prompt.cell_key] += 1
        results: list[ProviderAnswer | ProviderFailure] = []
        for prompt in prompts:
            failure = self._fault(prompt, self.attempts[prompt.cell_key], len(prompts))
            results.append(failure or self._sim.answer_one(prompt))
        return results


def services_with(
    tmp_path: Path, provider: Any, *, cell_retry: dict[str, Any] | None = None, **flags: Any
) -> WorkflowServices:
    settings = load_settings(
        flags={"cell_retry": cell_retry or FAST_RETRIES, **flags},
        environ={"SENSO_HOME": str(tmp_path)},
    ).settings
    registry = ProviderRegistry({}, {"simulated": provider}, default_provider="simulated")
    return build_services(settings, registry=registry)


def _failed(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return conn.execute(
            "SELECT failure_reason FROM senso.cell_runs WHERE status = 'failed'"
        ).fetchall()


def test_simulated_error_rate_30_percent_completes_every_cell(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    providers = {"simulated": {"error_rate": 0.3}}
    settings = load_settings(
        flags={"providers": providers, "cell_retry": FAST_RETRIES},
        environ={"SENSO_HOME": str(tmp_path)},
    ).settings
    state = run_inline(db, {"org_id": str(org_id)}, services=build_services(settings))
    assert state["matrix"]["completed"] == 12 and state["matrix"]["failed"] == 0
    assert state["completion"]["status"] == "completed"


def test_one_bad_item_does_not_fail_its_chunk(db: Database, org_id: UUID, tmp_path: Path) -> None:
    bad: list[str] = []

    def fault(prompt: CellPrompt, attempt: int, size: int) -> None:
        if not bad:
            bad.append(prompt.cell_key)
        if prompt.cell_key == bad[0]:
            raise ProviderError("provider answered HTTP 400: invalid request")

    provider = Scripted(fault)
    services = services_with(tmp_path, provider, max_failed_cells_ratio=0.5)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["matrix"]["completed"] == 11 and state["matrix"]["failed"] == 1
    assert "HTTP 400" in _failed(db)[0]["failure_reason"]


def test_permanent_auth_failure_fails_cells_at_once(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    def fault(prompt: CellPrompt, attempt: int, size: int) -> None:
        raise ProviderError("provider answered HTTP 401: invalid api key")

    provider = Scripted(fault)
    services = services_with(tmp_path, provider, max_failed_cells_ratio=1.0)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["matrix"]["failed"] == 12
    assert len(provider.calls) == 1  # no retry of a revoked key, no split into 12 calls
    assert all("HTTP 401" in row["failure_reason"] for row in _failed(db))


def test_transient_failures_retry_only_the_failing_cells_honouring_retry_after(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    def fault(prompt: CellPrompt, attempt: int, size: int) -> ProviderFailure | None:
        if attempt == 1 and prompt.question.startswith("Which"):
            raise ProviderTransientError("HTTP 429: slow down", retry_after=0.4)
        return None

    provider = Scripted(fault)
    state = run_inline(db, {"org_id": str(org_id)}, services=services_with(tmp_path, provider))
    assert state["matrix"]["completed"] == 12 and state["matrix"]["failed"] == 0
    (first, _), *retries = provider.calls
    assert retries, "the throttled chunk was retried"
    assert all(when - first >= 0.4 for when, _ in retries)  # never before Retry-After
    # The retried chunk is halved: one bad item cannot hold nineteen good ones for ever.
    assert all(len(keys) <= 6 for _, keys in retries)


def test_budget_exhausted_fails_the_step_as_retryable_and_retry_runs_only_those_cells(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    def fault(prompt: CellPrompt, attempt: int, size: int) -> ProviderFailure | None:
        if prompt.model == "perplexity":
            return ProviderFailure(cell_key=prompt.cell_key, reason="HTTP 503", transient=True)
        return None

    provider = Scripted(fault)
    services = services_with(tmp_path, provider, cell_retry=FAST_RETRIES | {"max_attempts": 3})
    state: dict[str, Any] = {"org_id": str(org_id)}
    state["batch"] = run_step("GetOrCreateBatch", state, db=db)
    run_step("StartBatchProcessing", state, db=db)
    with pytest.raises(TransientError, match="6 cells still failing transiently"):
        run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=services)
    reasons = [row["failure_reason"] for row in _failed(db)]
    assert len(reasons) == 6 and all("HTTP 503" in reason for reason in reasons)

    healthy = Scripted(lambda prompt, attempt, size: None)
    again = run_step(
        "RunQuestionMatrixWithEvaluation", state, db=db, services=services_with(tmp_path, healthy)
    )
    assert again["ran"] == 6 and again["completed"] == 12 and again["failed"] == 0
    assert set(healthy.attempts) == {key for key, n in provider.attempts.items() if n > 1}


def test_a_lost_database_connection_inside_a_step_is_transient(
    db: Database, org_id: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.steps.run_question_matrix as step

    def lost(*args: object, **kwargs: object) -> None:
        raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(step, "pending_cells", lost)
    state: dict[str, Any] = {"org_id": str(org_id)}
    state["batch"] = run_step("GetOrCreateBatch", state, db=db)
    with pytest.raises(TransientError, match="connection"):
        run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=None)
