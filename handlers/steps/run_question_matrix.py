"""RunQuestionMatrixWithEvaluation: answer and evaluate every cell not yet complete.

A resumed run (a retry, a redrive, a same-day re-trigger) reads the cells with no completed run
and makes no provider call for the others. Progress is derivable at any moment from the
database (`batch_progress`), which is what `senso trigger` and `senso status` display.
"""

from __future__ import annotations

from handlers.evaluation import OrgProfile
from handlers.matrix.runner import Heartbeat, MatrixRunner
from handlers.matrix.variations_cache import org_variations
from handlers.repositories.batches import pending_cells, progress
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import WorkflowServices
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register


class MatrixSummary(StepModel):
    total_cells: int
    ran: int
    completed: int
    failed: int
    skipped_complete: int
    provider_calls: int
    simulated: bool
    errors: list[str]


def run_question_matrix(ctx: StepContext, data: BatchStepInput) -> MatrixSummary:
    services: WorkflowServices = ctx.services
    batch = data.batch
    with ctx.db.connect() as conn:
        org = OrgRepository(ctx.db).load(conn, batch.org_id)
        cells = pending_cells(conn, batch.batch_id)
        before = progress(conn, batch.batch_id)
    profile = OrgProfile(name=org.name, websites=org.websites)
    variations = org_variations(ctx.db, org.org_id, org.name, org.websites, services.generator)
    runner = MatrixRunner(
        db=ctx.db,
        services=services,
        batch_id=batch.batch_id,
        org_id=org.org_id,
        org=profile,
        variations=variations,
        heartbeat=Heartbeat(ctx.heartbeat),
    )
    outcome = runner.run(cells)
    with ctx.db.connect() as conn:
        after = progress(conn, batch.batch_id)
    return MatrixSummary(
        total_cells=after["total_cells"],
        ran=len(cells),
        completed=after["completed_cells"],
        failed=after["failed_cells"],
        skipped_complete=before["completed_cells"],
        provider_calls=outcome.provider_calls,
        simulated=outcome.simulated,
        errors=outcome.errors,
    )


STEP = register(Step("RunQuestionMatrixWithEvaluation", BatchStepInput, run_question_matrix))
