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

from handlers.repositories.batches import find_batch, find_batch_of_execution, mark_failed
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
    tables = ctx.db.tables.for_batch(data.shadow)
    with ctx.db.transaction() as conn:
        cause = data.error.Cause
        if cause is None and ctx.execution_id:
            cause = recorded_cause(conn, ctx.execution_id, data.error.Error)
        if cause is None:
            cause = f"{data.error.Error} (the cause is in the execution's history)"
        # The batch this execution drives, else the org's batch of the day.
        batch = (
            find_batch_of_execution(conn, tables, ctx.execution_id) if ctx.execution_id else None
        ) or find_batch(conn, tables, data.org_id, day)
        recorded = batch is not None and mark_failed(
            conn, tables, batch["batch_id"], data.error.Error, cause[:MAX_CAUSE]
        )
    return MarkedFailed(
        batch_id=batch["batch_id"] if batch and recorded else None,
        recorded=recorded,
        error=data.error.Error,
        batches_failed=1 if recorded else 0,
    )


STEP = register(Step("MarkBatchFailed", MarkFailedInput, mark_batch_failed))
