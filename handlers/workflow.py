"""Run the org evaluation's steps in order, in this process, as the old Inngest function did.

This is the `inngest` side of the local migration rehearsal (domain.md section 2's step order,
without its weaknesses) and a direct way to drive the steps in tests. The Step Functions side
runs the same step functions through the ASL in `asl/`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from handlers.contract import error_name, run_step
from handlers.db.database import Database
from handlers.errors import SensoError

ORDER = [
    "CheckBalance",
    "StartBatchProcessing",
    "RunQuestionMatrixWithEvaluation",
    "TrackUsage",
    "CompleteBatch",
]
RESULT_KEYS = {
    "GetOrCreateBatch": "batch",
    "CheckBalance": "balance",
    "StartBatchProcessing": "start",
    "RunQuestionMatrixWithEvaluation": "matrix",
    "TrackUsage": "usage",
    "CompleteBatch": "completion",
}


def run_inline(
    db: Database,
    workflow_input: dict[str, Any],
    *,
    services: Any,
    execution_id: str | None = None,
    on_step: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every step; on failure run MarkBatchFailed and re-raise. Returns the final state."""
    state = dict(workflow_input)

    def step(name: str) -> None:
        result = run_step(name, state, db=db, execution_id=execution_id, services=services)
        state[RESULT_KEYS[name]] = result
        if on_step is not None:
            on_step(name, result)

    try:
        step("GetOrCreateBatch")
        if state["batch"]["status"] == "completed":
            return state
        for name in ORDER:
            step(name)
    except SensoError as exc:
        state["error"] = {"Error": error_name(exc), "Cause": exc.message}
        run_step("MarkBatchFailed", state, db=db, execution_id=execution_id)
        raise
    return state
