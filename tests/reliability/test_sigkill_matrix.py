"""Invariant: a step handler killed at any point of the matrix leaves every cell at most once,
and the re-run (as a redrive would) completes the batch with each cell charged exactly once.

20 trials, each with its own seed choosing when the SIGKILL lands, on a product database in
external mode with no constraint at all (tests/product_db.py): exactly-once rests on senso's
own schema alone, and balance == ledger afterwards.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.runtime import build_services
from handlers.settings import load_settings
from tests.product_db import seed_product_org
from tests.reliability.conftest import write_home
from tests.reliability.invariants import check_invariants

pytestmark = pytest.mark.slow
TRIALS = 20


def _prepare(db: Database, org_id: UUID) -> dict[str, object]:
    state: dict[str, object] = {"org_id": str(org_id)}
    for step, key in (
        ("GetOrCreateBatch", "batch"),
        ("CheckBalance", "balance"),
        ("StartBatchProcessing", "start"),
    ):
        state[key] = run_step(step, state, db=db)
    return state


@pytest.mark.parametrize("seed", range(TRIALS))
def test_sigkill_during_matrix_then_rerun(external_db: Database, tmp_path: Path, seed: int) -> None:
    db = external_db
    org_id = seed_product_org(db)
    rng = random.Random(seed)
    home = write_home(
        tmp_path,
        f"matrix_concurrency = {rng.choice([1, 2, 4])}\n"
        f"simulated_seed = {seed}\n"
        "[providers.simulated]\nlatency_ms = 60\nmax_batch = 1\n",
    )
    state = _prepare(db, org_id)
    env = {
        **os.environ,
        "SENSO_HOME": str(home),
        "SENSO_DATABASE_URL": db.url,
        "SENSO_STEP_INPUT": json.dumps(state),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "handlers", "RunQuestionMatrixWithEvaluation"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Python start-up and imports take most of a second; land the kill anywhere from before
    # the first cell to the last one.
    time.sleep(rng.uniform(0.3, 1.6))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    check_invariants(db, allow_running=True)

    settings = load_settings(environ={"SENSO_HOME": str(home)}).settings
    services = build_services(settings)
    state["matrix"] = run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=services)
    state["usage"] = run_step("TrackUsage", state, db=db)
    run_step("TrackUsage", state, db=db)  # a replayed TrackUsage charges nothing more
    state["completion"] = run_step("CompleteBatch", state, db=db)

    assert state["completion"]["completed"] == 12  # type: ignore[index]
    check_invariants(db)
    with db.connect() as conn:
        charged = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert charged is not None and charged["n"] == 12
