"""The real asl/ document on the local runtime: success, skip, failure, retry, redrive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from handlers.db.database import Database
from senso_cli.local.runtime import LocalRuntime
from senso_cli.settings import load_settings
from tests.functional.steps.conftest import seed_org


@pytest.fixture
def runtime(db: Database, tmp_path: Path) -> LocalRuntime:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    return LocalRuntime(db, settings, time_scale=0)


def _run(runtime: LocalRuntime, org_id: UUID, name: str = "run-1") -> Any:
    started = runtime.start({"org_id": str(org_id)}, name=name, org_id=org_id)
    return runtime.run(started.execution_arn), started.execution_arn


def test_org_evaluation_succeeds_on_the_real_asl(db: Database, runtime: LocalRuntime) -> None:
    org_id = seed_org(db)
    result, arn = _run(runtime, org_id)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["completion"]["completed"] == 12
    types = [e["type"] for e in runtime.store.history(arn)]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert types.count("TaskSucceeded") == 6


def test_completed_batch_skips_to_success(db: Database, runtime: LocalRuntime) -> None:
    org_id = seed_org(db)
    _run(runtime, org_id, "first")
    result, arn = _run(runtime, org_id, "second")
    assert result.status == "SUCCEEDED"
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in runtime.store.history(arn)
        if "stateEnteredEventDetails" in e
    ]
    assert entered == ["GetOrCreateBatch", "CheckIfBatchCompleted", "BatchAlreadyCompleted"]


def test_insufficient_credits_goes_to_mark_batch_failed(
    db: Database, runtime: LocalRuntime
) -> None:
    org_id = seed_org(db)
    with db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    result, arn = _run(runtime, org_id)
    assert result.status == "FAILED"
    assert result.error == "Senso.InsufficientCredits"
    history = runtime.store.history(arn)
    failed_tasks = [e for e in history if e["type"] == "TaskFailed"]
    assert len(failed_tasks) == 1  # not retried
    with db.connect() as conn:
        batch = conn.execute(
            "SELECT b.status, s.error_name FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
        runs = conn.execute("SELECT count(*) AS n FROM question_runs").fetchone()
    assert batch == {"status": "failed", "error_name": "Senso.InsufficientCredits"}
    assert runs is not None and runs["n"] == 0


def test_transient_failure_is_retried_and_succeeds(db: Database, tmp_path: Path) -> None:
    org_id = seed_org(db)
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    runtime = LocalRuntime(db, settings, time_scale=0)
    calls = {"n": 0}
    original = runtime._invoker.__call__

    class Flaky:
        def __call__(self, invocation: Any) -> Any:
            if invocation.state_name == "TrackUsage" and calls["n"] == 0:
                calls["n"] += 1
                from senso_cli.sfn.errors import StatesError

                raise StatesError("Senso.Transient", "database restarted")
            return original(invocation)

    runtime._invoker = Flaky()  # type: ignore[assignment]
    result, arn = _run(runtime, org_id)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    failures = [e for e in runtime.store.history(arn) if e["type"] == "TaskFailed"]
    assert [json.dumps(e["taskFailedEventDetails"]["error"]) for e in failures] == [
        '"Senso.Transient"'
    ]
