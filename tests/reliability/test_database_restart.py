"""Invariant: PostgreSQL restarting in the middle of the matrix fails the step as transient,
the state machine's retry resumes it, and the batch completes with every cell once and charged
once (the answers come from a billable local OpenAI-protocol server), in both database modes
(external: product tables without constraints, then senso's migration)."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations
from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file
from senso_cli.embedded_pg import EmbeddedPostgres
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.trigger import start_local
from senso_cli.settings import load_settings
from tests.billable import billable_environ
from tests.fakes.openai_server import FakeOpenAIServer
from tests.product_db import build_product_tables, seed_product_org
from tests.reliability.conftest import write_home
from tests.reliability.invariants import check_invariants

pytestmark = pytest.mark.slow


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    # This test restarts its server, so it cannot share the session's.
    server = EmbeddedPostgres(tmp_path / "pg", fsync=False)
    server.ensure_running()
    yield server
    server.stop()


def _completed(db: Database) -> int:
    try:
        with db.connect() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM senso.cell_runs WHERE status = 'completed'"
            ).fetchone()
    except Exception:  # noqa: BLE001 - the server is down on purpose
        return -1
    return int(row["n"]) if row else 0


# Per mode: the org's cells, an answer's latency (the matrix lasts about 1.8 s at concurrency
# 2), and how many cells complete before the restart.
MODES = {"owned": (120, 0.03, 20), "external": (12, 0.3, 4)}


@pytest.mark.parametrize("mode", list(MODES))
def test_database_restart_mid_matrix(
    own_server: EmbeddedPostgres, tmp_path: Path, mode: str
) -> None:
    cells, latency_s, restart_after = MODES[mode]
    db = Database(own_server.url)
    if mode == "owned":
        apply_migrations(db)
        import_orgs(db, load_org_file(demo_org_path()))
        org = "demo"
    else:
        # The product database as the old system left it (no constraint), then senso's schema.
        build_product_tables(db)
        apply_migrations(db)
        org = str(seed_product_org(db))
    with FakeOpenAIServer(latency=lambda _: latency_s) as server:
        _restart_mid_matrix(db, own_server, tmp_path, server, org, restart_after)
    check_invariants(db)
    with db.connect() as conn:
        runs = conn.execute("SELECT count(*) AS n FROM question_runs").fetchone()
        charges = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert runs is not None and runs["n"] == cells
    assert charges is not None and charges["n"] == cells


def _restart_mid_matrix(
    db: Database,
    own_server: EmbeddedPostgres,
    tmp_path: Path,
    server: FakeOpenAIServer,
    org: str,
    restart_after: int,
) -> None:
    home = write_home(tmp_path, "matrix_concurrency = 2\n")
    environ = {"SENSO_HOME": str(home), **billable_environ(server)}
    settings = load_settings(environ=environ).settings
    definition = copy.deepcopy(load_definition())
    for retrier in definition["States"]["RunQuestionMatrixWithEvaluation"]["Retry"]:
        if "Senso.Transient" in retrier["ErrorEquals"]:
            # Deterministic waits (1 s, 2 s, 4 s) so the retry lands after the restart.
            retrier.update({"IntervalSeconds": 1, "JitterStrategy": "NONE"})
    runtime = LocalRuntime(db, settings, definition=definition, time_scale=1.0)
    started = start_local(runtime, org)
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(runtime.run(started.started.execution_arn))
    )
    worker.start()
    deadline = time.time() + 60
    while _completed(db) < restart_after and time.time() < deadline:
        time.sleep(0.02)
    own_server.stop()
    time.sleep(0.5)
    own_server.ensure_running()
    worker.join(timeout=120)

    result = outcome[0]
    assert result.status == "SUCCEEDED", (result.error, result.cause)  # type: ignore[attr-defined]
    errors = [
        e["taskFailedEventDetails"]["error"]
        for e in runtime.store.history(started.started.execution_arn)
        if e["type"] == "TaskFailed"
    ]
    assert "Senso.Transient" in errors
