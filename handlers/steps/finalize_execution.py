"""FinalizeExecution: no batch stays `running` after its execution ended without MarkBatchFailed.

The state machine's Catch cannot run when the execution itself times out (TIMED_OUT), is stopped
(ABORTED), or fails in a way no Catch handles. On AWS an EventBridge rule on "Step Functions
Execution Status Change" starts this step as a task with the execution's ARN and status; the
local runtime calls it when an execution ends. Every batch this execution still drives that is
pending or running is marked failed with the cause; a batch already completed or failed is left
as it is, so a replayed event changes nothing.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from handlers.errors import InvalidInputError
from handlers.repositories.batches import fail_unfinished_of_execution
from handlers.repositories.step_failures import recorded_cause
from handlers.steps.base import Step, StepContext, StepModel, register

MAX_CAUSE = 4000
ERRORS = {
    "TIMED_OUT": "States.Timeout",
    "ABORTED": "Senso.ExecutionAborted",
    "FAILED": "Senso.ExecutionFailed",
}
CAUSES = {
    "TIMED_OUT": "the execution exceeded the state machine's TimeoutSeconds",
    "ABORTED": "the execution was stopped (StopExecution) before it finished",
    "FAILED": "the execution failed before MarkBatchFailed could record it",
}


class FinalizeInput(StepModel):
    execution_status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
    error: str | None = None
    cause: str | None = None


class Finalized(StepModel):
    execution_status: str
    failed_batches: list[UUID]
    batches_failed: int  # the FailedBatches metric (CloudWatch filter on the handler logs)


def finalize_execution(ctx: StepContext, data: FinalizeInput) -> Finalized:
    if not ctx.execution_id:
        raise InvalidInputError(
            "FinalizeExecution needs the execution's ARN", hint="set SENSO_EXECUTION_ID"
        )
    status = data.execution_status
    if status == "SUCCEEDED":
        return Finalized(execution_status=status, failed_batches=[], batches_failed=0)
    error = data.error or ERRORS[status]
    with ctx.db.transaction() as conn:
        cause = data.cause or CAUSES[status]
        if status == "FAILED" and not data.cause:
            # The failed step's own words, when it recorded them (AWS's event carries no
            # cause we could pass through a task's small overrides).
            cause = recorded_cause(conn, ctx.execution_id, data.error) or cause
        reason = f"execution {status}: {cause}"[:MAX_CAUSE]
        failed = [
            batch_id
            for shadow in (False, True)
            for batch_id in fail_unfinished_of_execution(
                conn, ctx.db.tables.for_batch(shadow), ctx.execution_id, error, reason
            )
        ]
    return Finalized(execution_status=status, failed_batches=failed, batches_failed=len(failed))


STEP = register(Step("FinalizeExecution", FinalizeInput, finalize_execution))
