"""Invariant: PostgreSQL restarting in the middle of the matrix fails the step as transient,
the state machine's retry resumes it, and the batch completes with every cell once and charged
once (the answers come from a billable local OpenAI-protocol server, 30 ms each)."""

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


@pytest.fixture
def slow_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(latency=lambda _: 0.03) as server:
        yield server


def test_database_restart_mid_matrix(
    own_server: EmbeddedPostgres, tmp_path: Path, slow_server: FakeOpenAIServer
) -> None:
    db = Database(own_server.url)
    apply_migrations(db)
    import_orgs(db, load_org_file(demo_org_path()))
    home = write_home(tmp_path, "matrix_concurrency = 2\n")
    environ = {"SENSO_HOME": str(home), **billable_environ(slow_server)}
    settings = load_settings(environ=environ).settings
    definition = copy.deepcopy(load_definition())
    for retrier in definition["States"]["RunQuestionMatrixWithEvaluation"]["Retry"]:
        if "Senso.Transient" in retrier["ErrorEquals"]:
            # Deterministic waits (1 s, 2 s, 4 s) so the retry lands after the restart.
            retrier.update({"IntervalSeconds": 1, "JitterStrategy": "NONE"})
    runtime = LocalRuntime(db, settings, definition=definition, time_scale=1.0)
    started = start_local(runtime, "demo")
    outcome: list[object] = []
    worker = threading.Thread(
        target=lambda: outcome.append(runtime.run(started.started.execution_arn))
    )
    worker.start()
    deadline = time.time() + 60
    while _completed(db) < 20 and time.time() < deadline:
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
    check_invariants(db)
    with db.connect() as conn:
        runs = conn.execute("SELECT count(*) AS n FROM question_runs").fetchone()
        charges = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert runs is not None and runs["n"] == 120
    assert charges is not None and charges["n"] == 120
