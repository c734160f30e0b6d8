"""GetOrCreateBatch: exactly one batch per org, UTC day and orchestrator, even under races.

The unique key does the work: ten racing triggers all run the same INSERT ... ON CONFLICT DO
NOTHING and then read the one row that won. A failed lookup can never create a duplicate.
"""

from __future__ import annotations

import uuid

from handlers.repositories.orgs import OrgRepository
from handlers.steps.base import BatchRef, Step, StepContext, WorkflowInput, register


def get_or_create_batch(ctx: StepContext, data: WorkflowInput) -> BatchRef:
    day = data.batch_day or ctx.today()
    with ctx.db.transaction() as conn:
        org = OrgRepository(ctx.db).load(conn, data.org_id)
        inserted = conn.execute(
            """INSERT INTO question_run_batches
                   (batch_id, org_id, batch_day, orchestrator, execution_id, triggered_by)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (org_id, batch_day, orchestrator) DO NOTHING
               RETURNING batch_id""",
            (uuid.uuid4(), org.org_id, day, data.orchestrator, ctx.execution_id, data.triggered_by),
        ).fetchone()
        row = conn.execute(
            """SELECT batch_id, status FROM question_run_batches
               WHERE org_id = %s AND batch_day = %s AND orchestrator = %s""",
            (org.org_id, day, data.orchestrator),
        ).fetchone()
        assert row is not None  # the INSERT above or a concurrent one created it
        if inserted is None and row["status"] != "completed" and ctx.execution_id:
            # A resumed batch is now driven by this execution.
            conn.execute(
                "UPDATE question_run_batches SET execution_id = %s, updated_at = now() "
                "WHERE batch_id = %s",
                (ctx.execution_id, row["batch_id"]),
            )
    return BatchRef(
        batch_id=row["batch_id"],
        org_id=org.org_id,
        org_name=org.name,
        batch_day=day,
        status=row["status"],
        is_existing=inserted is None,
        matrix_size=org.matrix_size,
    )


STEP = register(Step("GetOrCreateBatch", WorkflowInput, get_or_create_batch))
