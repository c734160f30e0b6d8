"""Invariant: throttling, server errors and hanging providers never double-run or double-charge a
cell, never charge a failed one, and never abort the org.

The provider is a local server that speaks OpenAI's Responses API and answers 30% of calls with
429 (Retry-After) or 500, or hangs past the client's timeout. Both database modes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from handlers.db.database import Database
from handlers.runtime import build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings
from tests.billable import billable_providers
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.conftest import FaultyOpenAI
from tests.reliability.invariants import check_invariants


def _services(
    tmp_path: Path, server: FakeOpenAIServer, *, timeout_s: float, attempts: int
) -> object:
    retry = {"max_attempts": attempts, "initial_backoff_s": 0.01, "max_backoff_s": 0.05}
    providers = billable_providers(server, timeout_s=timeout_s, retry=retry | {"jitter_s": 0.0})
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
    mode_db: Database, mode_org: UUID, tmp_path: Path, faulty: FaultyOpenAI
) -> None:
    db, org_id = mode_db, mode_org
    services = _services(tmp_path, faulty, timeout_s=5, attempts=6)
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert faulty.faults > 0
    assert state["completion"]["status"] == "completed"
    assert state["matrix"]["completed"] + state["matrix"]["failed"] == 12
    assert state["usage"]["charged_cells"] == state["matrix"]["completed"]
    check_invariants(db)


def test_a_hanging_provider_costs_retries_not_cells(
    mode_db: Database, mode_org: UUID, tmp_path: Path
) -> None:
    db, org_id = mode_db, mode_org
    # A 1 s client timeout: a loaded machine must not time out an answer that did not hang.
    with FaultyOpenAI(fault_rate=0.3, hang_s=3.0, seed=3) as server:
        services = _services(tmp_path, server, timeout_s=1.0, attempts=1)
        state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert server.faults > 0
    # Each hang is a timed-out attempt; the step retries that cell alone until it answers. A
    # loaded machine may time out an answer that did not hang as well (one more retry), so
    # the calls are counted against what the server saw, and at least one retry per hang.
    assert state["matrix"]["completed"] == 12 and state["matrix"]["failed"] == 0
    assert state["matrix"]["provider_calls"] == server.request_count
    assert state["matrix"]["provider_calls"] >= 12 + server.faults
    assert state["completion"]["status"] == "completed"
    check_invariants(db)
