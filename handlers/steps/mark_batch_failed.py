"""MarkBatchFailed: record the error and cause from the state machine's Catch; idempotent.

It runs inside the state machine (not beside it, as the old FailBatch did), so a replay records
the same failure again rather than a second one. A completed batch is never marked failed.
The state machine passes only the error's name (ECS overrides are small); the cause is the one
the failed step recorded (`handlers.repositories.step_failures`). The batch is the one this
execution drives, found by its execution id (a run that crossed midnight still finds it), else
by org and day.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from handlers.repositories.step_failures import recorded_cause
from handlers.steps.base import BatchRef, Step, StepContext, StepModel, WorkflowInput, register

MAX_CAUSE = 4000


class CaughtError(BaseModel):
    Error: str = "States.Runtime"
    Cause: str | None = None


class MarkFailedInput(WorkflowInput):
    batch: BatchRef | None = None
    error: CaughtError = Field(default_factory=CaughtError)


class MarkedFailed(StepModel):
    batch_id: UUID | None
    recorded: bool
    error: str
    batches_failed: int  # the FailedBatches metric (CloudWatch filter on the handler logs)


def mark_batch_failed(ctx: StepContext, data: MarkFailedInput) -> MarkedFailed:
    day = data.batch.batch_day if data.batch else (data.batch_day or ctx.today())
    with ctx.db.transaction() as conn:
        cause = data.error.Cause
        if cause is None and ctx.execution_id:
            cause = recorded_cause(conn, ctx.execution_id, data.error.Error)
        if cause is None:
            cause = f"{data.error.Error} (the cause is in the execution's history)"
        row = conn.execute(
            """UPDATE question_run_batches
               SET status = 'failed', error_name = %(error)s, error_cause = %(cause)s,
                   failed_at = coalesce(failed_at, now()), updated_at = now()
               WHERE org_id = %(org)s AND orchestrator = %(orchestrator)s
                 AND status <> 'completed'
                 AND (execution_id = %(execution)s
                      OR (batch_day = %(day)s
                          AND NOT EXISTS (SELECT 1 FROM question_run_batches
                                          WHERE execution_id = %(execution)s)))
               RETURNING batch_id""",
            {
                "error": data.error.Error,
                "cause": cause[:MAX_CAUSE],
                "org": data.org_id,
                "orchestrator": data.orchestrator,
                "execution": ctx.execution_id,
                "day": day,
            },
        ).fetchone()
    return MarkedFailed(
        batch_id=row["batch_id"] if row else None,
        recorded=row is not None,
        error=data.error.Error,
        batches_failed=1 if row else 0,
    )


STEP = register(Step("MarkBatchFailed", MarkFailedInput, mark_batch_failed))
