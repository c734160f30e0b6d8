"""MarkBatchFailed: record the error and cause from the state machine's Catch; idempotent.

It runs inside the state machine (not beside it, as the old FailBatch did), so a replay records
the same failure again rather than a second one. A completed batch is never marked failed.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

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


def mark_batch_failed(ctx: StepContext, data: MarkFailedInput) -> MarkedFailed:
    day = data.batch.batch_day if data.batch else (data.batch_day or ctx.today())
    cause = (data.error.Cause or "")[:MAX_CAUSE]
    with ctx.db.transaction() as conn:
        row = conn.execute(
            """UPDATE question_run_batches
               SET status = 'failed', error_name = %s, error_cause = %s,
                   failed_at = coalesce(failed_at, now()), updated_at = now()
               WHERE org_id = %s AND batch_day = %s AND orchestrator = %s
                 AND status <> 'completed'
               RETURNING batch_id""",
            (data.error.Error, cause, data.org_id, day, data.orchestrator),
        ).fetchone()
    return MarkedFailed(
        batch_id=row["batch_id"] if row else None, recorded=row is not None, error=data.error.Error
    )


STEP = register(Step("MarkBatchFailed", MarkFailedInput, mark_batch_failed))
