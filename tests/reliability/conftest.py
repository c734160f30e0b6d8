"""Reliability fixtures: a small org in either database mode, a billable provider, a home.

Every case whose invariants concern charges runs on a billable provider (a local server that
speaks OpenAI's Responses API, `FaultyOpenAI` when it must misbehave): simulated answers are
free, so on them "charged exactly once" would hold vacuously. The cheaper cases run in both
database modes (`mode_db`): owned (senso built the product tables) and external (the product
database as the old system left it: product tables only, no constraint, then senso's migration).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from uuid import UUID

import pytest

from handlers.db.database import Database
from tests.fakes.http_server import Reply, Request
from tests.fakes.openai_server import FakeOpenAIServer
from tests.functional.steps.conftest import seed_org
from tests.product_db import seed_product_org

MODES = ("owned", "external")


@pytest.fixture
def org_id(db: Database) -> UUID:
    return seed_org(db)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mode_db(mode: str, request: pytest.FixtureRequest) -> Database:
    """A migrated database in owned mode, or a constraint-free product database in external."""
    database: Database = request.getfixturevalue("db" if mode == "owned" else "external_db")
    return database


@pytest.fixture
def mode_org(mode: str, mode_db: Database) -> UUID:
    """The same 3 questions x 2 models x 2 locations org with 100 credits, written as each mode
    allows: imported by senso (owned), or inserted as senso-api would (external)."""
    return seed_org(mode_db) if mode == "owned" else seed_product_org(mode_db)


def write_home(tmp_path: Path, config: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(config)
    return home


class FaultyOpenAI(FakeOpenAIServer):
    """Answers a seeded share of calls with 429 + Retry-After or 500, or hangs."""

    def __init__(
        self, *, fault_rate: float, hang_s: float = 0.0, seed: int = 1, latency_s: float = 0.0
    ) -> None:
        super().__init__(latency=(lambda _: latency_s) if latency_s else None)
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
