"""Invariant: throttling, server errors and hanging providers never double-run or double-charge a
cell, never charge a failed one, and never abort the org.

The provider is a local server that speaks OpenAI's Responses API and answers 30% of calls with
429 (Retry-After) or 500, or hangs past the client's timeout.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from handlers.db.database import Database
from handlers.runtime import build_services
from handlers.settings import load_settings
from handlers.workflow import run_inline
from tests.fakes.http_server import Reply, Request
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.invariants import check_invariants


class FaultyOpenAI(FakeOpenAIServer):
    """Answers a seeded share of calls with 429 + Retry-After or 500, or hangs."""

    def __init__(self, *, fault_rate: float, hang_s: float = 0.0, seed: int = 1) -> None:
        super().__init__()
        self._rng = random.Random(seed)
        self._fault_rate = fault_rate
        self._hang_s = hang_s
        self._lock = threading.Lock()
        self.faults = 0

    def scripted(self, request: Request) -> Reply | None:
        reply = super().scripted(request)
        if reply is not None:
            return reply
        with self._lock:
            roll = self._rng.random()
        if roll >= self._fault_rate:
            return None
        with self._lock:
            self.faults += 1
        if self._hang_s:
            return Reply(200, {"never": "seen"}, delay_s=self._hang_s)
        if roll < self._fault_rate / 2:
            return Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        return Reply(500, {"error": {"message": "upstream exploded"}})


def _services(
    tmp_path: Path, server: FakeOpenAIServer, *, timeout_s: float, attempts: int
) -> object:
    providers = {
        "default_provider": None,
        "routes": {
            "gpt-4.1": {"provider": "openai"},
            "perplexity": {"provider": "openai", "upstream_model": "gpt-4.1"},
        },
        "openai": {
            "api_key": server.api_key,
            "base_url": server.base_url,
            "timeout_s": timeout_s,
            "rate_limit": {"rpm": 100_000, "tpm": 100_000_000, "max_concurrency": 4},
            "retry": {
                "max_attempts": attempts,
                "initial_backoff_s": 0.01,
                "max_backoff_s": 0.05,
                "jitter_s": 0.0,
            },
        },
    }
    # Cells retried by the matrix step itself: quick backoffs, a budget that lets them finish.
    cell_retry = {"max_attempts": 8, "initial_backoff_s": 0.01, "max_backoff_s": 0.05}
    settings = load_settings(
        flags={"providers": providers, "evaluator": "deterministic", "cell_retry": cell_retry},
        environ={"SENSO_HOME": str(tmp_path)},
    )
    return build_services(settings.settings)


@pytest.fixture
def faulty() -> Iterator[FaultyOpenAI]:
    with FaultyOpenAI(fault_rate=0.3, seed=7) as server:
        yield server


def test_429_and_5xx_on_30_percent_of_calls(
    db: Database, org_id: UUID, tmp_path: Path, faulty: FaultyOpenAI
) -> None:
    services = _services(tmp_path, faulty, timeout_s=5, attempts=6)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert faulty.faults > 0
    assert state["completion"]["status"] == "completed"
    assert state["matrix"]["completed"] + state["matrix"]["failed"] == 12
    assert state["usage"]["charged_cells"] == state["matrix"]["completed"]
    check_invariants(db)


def test_a_hanging_provider_costs_retries_not_cells(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    with FaultyOpenAI(fault_rate=0.3, hang_s=2.0, seed=3) as server:
        services = _services(tmp_path, server, timeout_s=0.3, attempts=1)
        state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert server.faults > 0
    # Each hang is a timed-out attempt; the step retries that cell alone until it answers.
    assert state["matrix"]["completed"] == 12 and state["matrix"]["failed"] == 0
    assert state["matrix"]["provider_calls"] == 12 + server.faults
    assert state["completion"]["status"] == "completed"
    check_invariants(db)
