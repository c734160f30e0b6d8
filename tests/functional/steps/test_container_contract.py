"""The container as the state machine runs it on AWS: small overrides (the execution input, the
batch id, the caught error's name, the task token), SendTask* callbacks, the failure's cause
recorded for MarkBatchFailed, and the counts the CloudWatch metric filters read."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from handlers.contract import main, run_step
from handlers.db.database import Database
from handlers.executions import workflow_input


class Callbacks:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def send_task_success(self, **kwargs: Any) -> None:
        self.calls.append(("success", kwargs))

    def send_task_failure(self, **kwargs: Any) -> None:
        self.calls.append(("failure", kwargs))

    def send_task_heartbeat(self, **kwargs: Any) -> None:
        self.calls.append(("heartbeat", kwargs))


ARN = "arn:aws:states:us-east-1:123456789012:execution:senso-org-evaluation:org-acme-2026-12-01"


def _env(db: Database, org_id: UUID, **extra: str) -> dict[str, str]:
    from datetime import date

    execution_input = workflow_input(str(org_id), date.today(), "schedule")
    return {
        "SENSO_STEP_INPUT": json.dumps(execution_input),
        "SENSO_TASK_TOKEN": "t" * 2048,
        "SENSO_EXECUTION_ID": ARN,
        "SENSO_DATABASE_URL": db.url,
        **extra,
    }


def _log_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_a_failed_steps_cause_reaches_mark_batch_failed_through_postgres(
    db: Database, org_id: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = run_step("GetOrCreateBatch", {"org_id": str(org_id)}, db=db, execution_id=ARN)
    with db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    callbacks = Callbacks()
    env = _env(db, org_id, SENSO_BATCH_ID=batch["batch_id"])
    assert main(["CheckBalance"], environ=env, callbacks_factory=lambda: callbacks) == 0
    ((kind, failure),) = callbacks.calls
    assert kind == "failure" and failure["error"] == "Senso.InsufficientCredits"

    # The state machine passes MarkBatchFailed the error's name only, never the cause.
    env = _env(db, org_id, SENSO_ERROR="Senso.InsufficientCredits")
    capsys.readouterr()
    assert main(["MarkBatchFailed"], environ=env, callbacks_factory=lambda: callbacks) == 0
    kind, success = callbacks.calls[-1]
    assert kind == "success" and json.loads(success["output"])["recorded"]
    with db.connect() as conn:
        row = conn.execute(
            "SELECT b.status, s.error_name, s.error_cause FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert row is not None and row["status"] == "failed"
    assert row["error_cause"] == failure["cause"]  # the step's own words, from PostgreSQL
    lines = _log_lines(capsys.readouterr().err)
    assert [line["batches_failed"] for line in lines if line["message"] == "step succeeded"] == [1]


def test_the_matrix_reports_failed_cells_for_the_metric(
    db: Database, org_id: UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    state: dict[str, Any] = {"org_id": str(org_id)}
    state["batch"] = batch = run_step("GetOrCreateBatch", state, db=db, execution_id=ARN)
    run_step("StartBatchProcessing", state, db=db)
    callbacks = Callbacks()
    env = _env(
        db,
        org_id,
        SENSO_BATCH_ID=batch["batch_id"],
        SENSO_PROVIDERS_JSON=json.dumps({"default_provider": "none"}),
        SENSO_HOME="/nonexistent-senso-home",
    )
    capsys.readouterr()
    main(["RunQuestionMatrixWithEvaluation"], environ=env, callbacks_factory=lambda: callbacks)
    ((kind, failure),) = [call for call in callbacks.calls if call[0] != "heartbeat"]
    assert (kind, failure["error"]) == ("failure", "Senso.BatchFailed")
    (line,) = [x for x in _log_lines(capsys.readouterr().err) if x["message"] == "step failed"]
    assert line["failed_cells"] == 12
