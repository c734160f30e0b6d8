"""Liveness and the ends the state machine cannot catch, on the real ASL (scaled down).

- a provider whose answers take five heartbeat intervals completes: the heartbeat runs in the
  background of the task, not between provider calls;
- an execution that times out, or ends without MarkBatchFailed, leaves its batch failed with
  the cause, never `running`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from handlers.db.database import Database
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.settings import load_settings
from tests.functional.steps.conftest import seed_org

ONE_CELL_ORG = """
slug: slow
name: Slow Answers Inc
partner: {slug: p1, name: Partner One}
websites: [https://slow.example]
questions: ["Which bank answers slowly?"]
models: [gpt-4.1]
locations: [US]
credits: 100
"""
HEARTBEAT_SECONDS = 1  # the beat runs every third: 0.33 s
ANSWER_MS = 5 * 1000 * HEARTBEAT_SECONDS / 3  # five heartbeat intervals per answer


def _runtime(db: Database, tmp_path: Path, definition: dict[str, Any]) -> LocalRuntime:
    (tmp_path / "config.toml").write_text(
        f"[providers.simulated]\nlatency_ms = {ANSWER_MS}\nmax_batch = 1\n"
    )
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    return LocalRuntime(db, settings, definition=definition, time_scale=0)


def _batch(db: Database) -> dict[str, Any]:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT b.status, s.error_name, s.error_cause FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert row is not None
    return dict(row)


def test_answers_slower_than_the_heartbeat_interval_complete(db: Database, tmp_path: Path) -> None:
    definition = copy.deepcopy(load_definition())
    definition["States"]["RunQuestionMatrixWithEvaluation"]["HeartbeatSeconds"] = HEARTBEAT_SECONDS
    org_id = seed_org(db, ONE_CELL_ORG)
    runtime = _runtime(db, tmp_path, definition)
    started = runtime.start({"org_id": str(org_id)}, name="slow", org_id=org_id)
    result = runtime.run(started.execution_arn)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    events = runtime.store.history(started.execution_arn)
    assert not [e for e in events if "HeartbeatTimeout" in str(e)]
    assert _batch(db)["status"] == "completed"


def test_an_execution_timeout_leaves_the_batch_failed_with_the_cause(
    db: Database, tmp_path: Path
) -> None:
    definition = copy.deepcopy(load_definition())
    definition["TimeoutSeconds"] = 1  # shorter than one slow answer
    org_id = seed_org(db, ONE_CELL_ORG)
    runtime = _runtime(db, tmp_path, definition)
    started = runtime.start({"org_id": str(org_id)}, name="late", org_id=org_id)
    result = runtime.run(started.execution_arn)
    assert result.status == "TIMED_OUT"
    batch = _batch(db)
    assert batch["status"] == "failed" and batch["error_name"] == "States.Timeout"
    assert "TIMED_OUT" in batch["error_cause"] and "TimeoutSeconds" in batch["error_cause"]


def test_an_execution_that_ends_without_mark_batch_failed_leaves_no_batch_running(
    db: Database, tmp_path: Path
) -> None:
    definition = copy.deepcopy(load_definition())
    # A machine that fails after starting the batch, with no Catch to MarkBatchFailed.
    definition["States"]["StartBatchProcessing"]["Next"] = "GoWrong"
    definition["States"]["GoWrong"] = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.start.status", "StringEquals": "running", "Next": "Broken"}],
        "Default": "RunQuestionMatrixWithEvaluation",
    }
    definition["States"]["Broken"] = {"Type": "Fail", "Error": "Oops", "Cause": "no catch"}
    org_id = seed_org(db, ONE_CELL_ORG)
    runtime = _runtime(db, tmp_path, definition)
    started = runtime.start({"org_id": str(org_id)}, name="broken", org_id=org_id)
    result = runtime.run(started.execution_arn)
    assert (result.status, result.error) == ("FAILED", "Oops")
    batch = _batch(db)
    assert (batch["status"], batch["error_name"]) == ("failed", "Oops")
    assert "no catch" in batch["error_cause"]
