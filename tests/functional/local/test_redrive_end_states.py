"""`senso redrive` on the local runtime, for each way an execution can end: the batch completes.

* FAILED (here: no credits, so CheckBalance fails and MarkBatchFailed records it) ends in the
  WorkflowFailed Fail state; a redrive would re-run only that state and fail again, so a new
  attempt is started and resumes the batch.
* TIMED_OUT (the machine's TimeoutSeconds passed mid-matrix) and ABORTED (the execution was
  stopped mid-matrix) are redriven from the step that was running.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from handlers.db.database import Database
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.redrive import redrive_local
from senso_cli.services.trigger import start_local
from senso_cli.settings import Settings, load_settings
from senso_cli.sfn import Interpreter, TaskInvocation
from tests.functional.steps.conftest import seed_org

pytestmark = pytest.mark.slow
MATRIX = "RunQuestionMatrixWithEvaluation"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings


def batch_status(db: Database) -> list[str]:
    with db.connect() as conn:
        rows = conn.execute("SELECT status FROM question_run_batches").fetchall()
    return [str(r["status"]) for r in rows]


def test_a_failed_execution_is_resumed_by_a_new_attempt(db: Database, settings: Settings) -> None:
    org_id = seed_org(db)
    with db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    runtime = LocalRuntime(db, settings, time_scale=0)
    first = start_local(runtime, str(org_id)).started.execution_arn
    assert runtime.run(first).status == "FAILED"
    assert batch_status(db) == ["failed"]
    with db.transaction() as conn:  # the operator adds credits, then redrives
        conn.execute("UPDATE credit_balances SET current_balance = 1000")

    done = redrive_local(runtime, first)
    assert done.action == "new_attempt"
    assert done.execution_arn != first and done.execution_arn.endswith("-a2")
    assert done.result is not None and done.result.status == "SUCCEEDED", done.result
    assert batch_status(db) == ["completed"]  # the same batch, resumed
    assert runtime.store.get(first)["status"] == "FAILED"


class StallingMatrix:
    """The first matrix step stalls (as a long step would) until the test releases it, after
    `on_stall` ended the execution; it then gives up without doing any work."""

    def __init__(self, runtime: LocalRuntime, on_stall: Any) -> None:
        self._real = runtime._invoker
        self._on_stall = on_stall
        self.release = threading.Event()
        self.stalled = False

    def __call__(self, invocation: TaskInvocation) -> Any:
        if invocation.state_name == MATRIX and not self.stalled:
            self.stalled = True
            self._on_stall()
            self.release.wait(30)
            raise RuntimeError("abandoned")
        return self._real(invocation)


def _ended_mid_matrix(
    db: Database, settings: Settings, org_id: UUID, *, timeout: bool
) -> tuple[str, str]:
    definition = copy.deepcopy(load_definition())
    if timeout:
        definition["TimeoutSeconds"] = 2
    runtime = LocalRuntime(db, settings, time_scale=0, definition=definition)
    interpreters: list[Interpreter] = []
    make = runtime._interpreter

    def capture(redrive_count: int, arn: str) -> Interpreter:
        interpreters.append(make(redrive_count, arn))
        return interpreters[-1]

    runtime._interpreter = capture  # type: ignore[method-assign]
    stall = StallingMatrix(runtime, (lambda: None) if timeout else lambda: interpreters[0].abort())
    runtime._invoker = stall  # type: ignore[assignment]
    arn = start_local(runtime, str(org_id)).started.execution_arn
    result = runtime.run(arn)
    stall.release.set()
    return arn, result.status


@pytest.mark.parametrize(("timeout", "status"), [(True, "TIMED_OUT"), (False, "ABORTED")])
def test_timed_out_and_aborted_executions_are_redriven_from_the_step(
    db: Database, settings: Settings, timeout: bool, status: str
) -> None:
    org_id = seed_org(db)
    arn, ended = _ended_mid_matrix(db, settings, org_id, timeout=timeout)
    assert ended == status

    runtime = LocalRuntime(db, settings, time_scale=0)
    done = redrive_local(runtime, arn)
    assert done.action == "redriven" and done.execution_arn == arn
    assert done.result is not None and done.result.status == "SUCCEEDED", done.result
    assert batch_status(db) == ["completed"]
    history = runtime.store.history(arn)
    redriven = [e for e in history if e["type"] == "ExecutionRedriven"]
    assert len(redriven) == 1
    # Resumed at the matrix: the steps before it did not run again.
    after = history[history.index(redriven[0]) :]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in after if "stateEnteredEventDetails" in e
    ]
    assert entered[0] == MATRIX
    assert "GetOrCreateBatch" not in entered
