"""CompleteBatch: store the aggregates and counters, and move is_latest, atomically.

New batches start with is_latest = false; here, in one transaction, the batch completes and
becomes the org's latest unless a completed batch of a newer batch day exists (a redrive of an
old batch never hides a newer one), so readers never see two latest batches or none.
"""

from __future__ import annotations

import json
from typing import Any

from handlers.analytics.aggregates import compute_aggregates
from handlers.repositories.batches import load_batch, mark_completed, refresh_counters
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register


class Completion(StepModel):
    status: str
    cells: int
    completed: int
    failed: int
    visibility: float
    share_of_voice: float
    mean_rank: float | None
    citation_rate: float


def complete_batch(ctx: StepContext, data: BatchStepInput) -> Completion:
    tables = data.tables(ctx)
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, tables, data.batch_id, lock=True)
        aggregates: dict[str, Any] = compute_aggregates(conn, tables, batch["batch_id"])
        refresh_counters(conn, tables, batch["batch_id"])
        mark_completed(conn, tables, batch["batch_id"], json.dumps(aggregates))
    overall = aggregates["overall"]
    return Completion(
        status="completed",
        cells=overall["cells"],
        completed=overall["completed"],
        failed=overall["failed"],
        visibility=overall["visibility"],
        share_of_voice=overall["share_of_voice"],
        mean_rank=overall["mean_rank"],
        citation_rate=overall["citation_rate"],
    )


STEP = register(Step("CompleteBatch", BatchStepInput, complete_batch))
