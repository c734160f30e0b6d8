"""CompleteBatch: store the aggregates and make this batch the org's latest, atomically.

New batches start with is_latest = false; here, in one transaction, the previous latest is
cleared and this one set, so readers never see two latest batches (or none after a failure).
"""

from __future__ import annotations

import json
from typing import Any

from handlers.analytics.aggregates import compute_aggregates
from handlers.repositories.batches import load_batch
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
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, data.batch_id, lock=True)
        aggregates: dict[str, Any] = compute_aggregates(conn, batch["batch_id"])
        conn.execute(
            "UPDATE question_run_batches SET is_latest = false "
            "WHERE org_id = %s AND is_latest AND batch_id <> %s",
            (batch["org_id"], batch["batch_id"]),
        )
        conn.execute(
            """UPDATE question_run_batches
               SET status = 'completed', is_latest = true, aggregates = %s,
                   completed_at = coalesce(completed_at, now()), updated_at = now()
               WHERE batch_id = %s""",
            (json.dumps(aggregates), batch["batch_id"]),
        )
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
