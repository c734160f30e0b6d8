"""GetOrCreateBatch: exactly one batch per org and UTC day (live or shadow), even under races.

senso's key (senso.batches, written in the same transaction as the product's batch row) does
the work: ten racing triggers all run the same INSERT ... ON CONFLICT DO NOTHING and then read
the one batch that won, whether or not the product table has a unique constraint. A failed
lookup can never create a duplicate. A deleted org (deleted_at) is refused as invalid input.
"""

from __future__ import annotations

from handlers.repositories.batches import get_or_create
from handlers.repositories.orgs import OrgRepository
from handlers.steps.base import BatchRef, Step, StepContext, WorkflowInput, register


def get_or_create_batch(ctx: StepContext, data: WorkflowInput) -> BatchRef:
    day = data.batch_day or ctx.today()
    tables = ctx.db.tables.for_batch(data.shadow)
    with ctx.db.transaction() as conn:
        org = OrgRepository(ctx.db).load(conn, data.org_id)
        key = get_or_create(
            conn,
            tables,
            org_id=org.org_id,
            day=day,
            total_questions=org.matrix_size,
            execution_id=ctx.execution_id,
            triggered_by=data.triggered_by,
        )
    return BatchRef(
        batch_id=key.batch_id,
        org_id=org.org_id,
        org_name=org.name,
        batch_day=day,
        status=key.status,  # type: ignore[arg-type]
        is_existing=not key.created,
        matrix_size=org.matrix_size,
        shadow=data.shadow,
    )


STEP = register(Step("GetOrCreateBatch", WorkflowInput, get_or_create_batch))
