"""Invariant: ten operators triggering the same org at once start one execution and make one
batch, charged once, in both database modes (external: no constraint on the product tables)."""

from __future__ import annotations

import threading
from pathlib import Path
from uuid import UUID

from handlers.db.database import Database
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.trigger import TriggerResult, start_local
from senso_cli.settings import load_settings
from tests.billable import billable_environ
from tests.fakes.openai_server import FakeOpenAIServer
from tests.reliability.invariants import check_invariants


def test_ten_concurrent_triggers_of_one_org(
    mode_db: Database, mode_org: UUID, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    db, org_id = mode_db, mode_org
    environ = {"SENSO_HOME": str(tmp_path), **billable_environ(billable_server)}
    settings = load_settings(environ=environ).settings
    runtime = LocalRuntime(db, settings, time_scale=0)
    barrier = threading.Barrier(10)
    results: list[TriggerResult] = []
    lock = threading.Lock()

    def trigger() -> None:
        barrier.wait()
        result = start_local(runtime, str(org_id))
        with lock:
            results.append(result)

    threads = [threading.Thread(target=trigger) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    started = [r for r in results if not r.already_running]
    assert len(started) == 1
    assert {r.started.execution_arn for r in results} == {started[0].started.execution_arn}
    assert runtime.run(started[0].started.execution_arn).status == "SUCCEEDED"
    with db.connect() as conn:
        batches = conn.execute("SELECT count(*) AS n FROM question_run_batches").fetchone()
        charges = conn.execute(
            "SELECT count(*) AS n FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchone()
    assert batches is not None and batches["n"] == 1
    assert charges is not None and charges["n"] == 12
    assert billable_server.request_count == 12  # one provider call per cell, no more
    check_invariants(db)
