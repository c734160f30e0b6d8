"""StartBatchProcessing: the batch runs (a resumed failed batch too) and its matrix is fixed."""

from __future__ import annotations

from handlers.repositories.batches import load_batch, mark_running, snapshot_cells
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register


class Started(StepModel):
    status: str
    total_cells: int
    resumed: bool


def start_batch_processing(ctx: StepContext, data: BatchStepInput) -> Started:
    tables = data.tables(ctx)
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, tables, data.batch_id, lock=True)
        total = snapshot_cells(conn, tables, batch["batch_id"], batch["org_id"])
        if batch["status"] == "completed":
            return Started(status="completed", total_cells=total, resumed=False)
        mark_running(conn, tables, batch["batch_id"], total)
    return Started(status="running", total_cells=total, resumed=batch["status"] == "failed")


STEP = register(Step("StartBatchProcessing", BatchStepInput, start_batch_processing))
