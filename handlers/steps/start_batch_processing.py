"""StartBatchProcessing: the batch runs (a resumed failed batch too) and its matrix is fixed."""

from __future__ import annotations

from handlers.repositories.batches import load_batch, snapshot_cells
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register


class Started(StepModel):
    status: str
    total_cells: int
    resumed: bool


def start_batch_processing(ctx: StepContext, data: BatchStepInput) -> Started:
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, data.batch_id, lock=True)
        if batch["status"] == "completed":
            total = snapshot_cells(conn, batch["batch_id"], batch["org_id"])
            return Started(status="completed", total_cells=total, resumed=False)
        total = snapshot_cells(conn, batch["batch_id"], batch["org_id"])
        conn.execute(
            """UPDATE question_run_batches
               SET status = 'running', started_at = coalesce(started_at, now()),
                   total_cells = %s, attempts = attempts + 1,
                   error_name = NULL, error_cause = NULL, failed_at = NULL, updated_at = now()
               WHERE batch_id = %s""",
            (total, batch["batch_id"]),
        )
    return Started(status="running", total_cells=total, resumed=batch["status"] == "failed")


STEP = register(Step("StartBatchProcessing", BatchStepInput, start_batch_processing))
