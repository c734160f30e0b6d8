"""Invariant: a step handler killed at any point of the matrix leaves every cell at most once,
and the re-run (as a redrive would) completes the batch with each cell charged exactly once.

20 trials, each with its own seed choosing when the SIGKILL lands, on a product database in
external mode with no constraint at all (tests/product_db.py): exactly-once rests on senso's
own schema alone, and balance == ledger afterwards. 5 more trials in owned mode. The cells are
answered by a billable provider (a local OpenAI-protocol server, 60 ms an answer), so each
completed cell must really be charged once: simulated answers would be free.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.runtime import build_services
from senso_cli.settings import load_settings
from tests.billable import billable_environ
from tests.fakes.openai_server import FakeOpenAIServer
from tests.functional.steps.conftest import seed_org
from tests.product_db import seed_product_org
from tests.reliability.conftest import write_home
from tests.reliability.invariants import check_invariants

pytestmark = pytest.mark.slow
TRIALS = {"external": 20, "owned": 5}
CELLS = 12
ANSWER_S = 0.06
CASES = [(mode, seed) for mode, trials in TRIALS.items() for seed in range(trials)]


def _prepare(db: Database, org_id: UUID) -> dict[str, object]:
    state: dict[str, object] = {"org_id": str(org_id)}
    for step, key in (
        ("GetOrCreateBatch", "batch"),
        ("CheckBalance", "balance"),
        ("StartBatchProcessing", "start"),
    ):
        state[key] = run_step(step, state, db=db)
    return state


@pytest.fixture(scope="module")
def slow_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(latency=lambda _: ANSWER_S) as server:
        yield server


def _completed(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM senso.cell_runs WHERE status = 'completed'"
        ).fetchone()
    return int(row["n"]) if row else 0


@pytest.mark.parametrize(("mode", "seed"), CASES, ids=[f"{m}-{s}" for m, s in CASES])
def test_sigkill_during_matrix_then_rerun(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    slow_server: FakeOpenAIServer,
    mode: str,
    seed: int,
) -> None:
    db: Database = request.getfixturevalue("external_db" if mode == "external" else "db")
    org_id = seed_product_org(db) if mode == "external" else seed_org(db)
    rng = random.Random(seed)
    home = write_home(tmp_path, f"matrix_concurrency = {rng.choice([1, 2, 4])}\n")
    billable = billable_environ(slow_server)
    state = _prepare(db, org_id)
    env = {
        **os.environ,
        "SENSO_HOME": str(home),
        "SENSO_DATABASE_URL": db.url,
        "SENSO_STEP_INPUT": json.dumps(state),
        **billable,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "handlers", "RunQuestionMatrixWithEvaluation"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The kill point is chosen by progress, not by the clock (start-up alone can take seconds
    # on a loaded machine): after a random number of completed cells, plus up to one answer's
    # time, so it lands anywhere from before the first cell to after the last, mid-answer and
    # mid-write included.
    target = rng.randrange(CELLS)
    deadline = time.monotonic() + 60
    while _completed(db) < target and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0, ANSWER_S))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check_invariants(db, allow_running=True)
    done_by_killed = _completed(db)
    assert done_by_killed >= target

    settings = load_settings(environ={"SENSO_HOME": str(home), **billable}).settings
    services = build_services(settings)
    state["matrix"] = run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=services)
    state["usage"] = run_step("TrackUsage", state, db=db)
    run_step("TrackUsage", state, db=db)  # a replayed TrackUsage charges nothing more
    state["completion"] = run_step("CompleteBatch", state, db=db)

    assert state["completion"]["completed"] == CELLS  # type: ignore[index]
    check_invariants(db)
    with db.connect() as conn:
        charged = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert charged is not None and charged["n"] == 12
    # The re-run called the provider for the cells the killed step had not completed only.
    assert state["matrix"]["provider_calls"] == CELLS - done_by_killed  # type: ignore[index]
