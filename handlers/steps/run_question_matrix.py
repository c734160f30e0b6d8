"""RunQuestionMatrixWithEvaluation: answer and evaluate every cell not yet complete.

A resumed run (a retry, a redrive, a same-day re-trigger) reads the cells with no completed run
and makes no provider call for the others. Progress is derivable at any moment from senso's
cell rows (senso.cell_runs), which `senso trigger` and `senso status` display; the product
batch's stored counters are recounted from them when the step ends.

The step ends in one of three ways: every cell done and few enough failed (the summary); cells
still failing transiently when the budget ran out (`Senso.Transient`, retried by the state
machine for those cells); or more failed cells than the threshold allows (`Senso.BatchFailed`,
counting cells by cause). In an AWS environment a model with no route fails the batch before
any provider call (`Senso.InvalidInput` naming the models).
"""

from __future__ import annotations

from handlers.errors import InvalidInputError
from handlers.evaluation import OrgProfile
from handlers.matrix.outcome import check_outcome
from handlers.matrix.runner import MatrixRunner
from handlers.matrix.variations_cache import org_variations
from handlers.repositories.batches import (
    Cell,
    load_batch,
    pending_cells,
    progress,
    refresh_counters,
)
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import WorkflowServices
from handlers.steps.base import (
    PROVIDERS,
    BatchStepInput,
    Step,
    StepContext,
    StepModel,
    register,
)


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
    services = ctx.needs(WorkflowServices)
    tables = data.tables(ctx)
    with ctx.db.connect() as conn:
        batch = load_batch(conn, tables, data.batch_id)
        org = OrgRepository(ctx.db).load(conn, batch["org_id"])
        cells = pending_cells(conn, tables, data.batch_id)
        before = progress(conn, data.batch_id)
    if services.require_routes:
        require_routes(services, cells)
    profile = OrgProfile(name=org.name, websites=org.websites)
    variations = org_variations(ctx.db, org.org_id, org.name, org.websites, services.generator)
    runner = MatrixRunner(
        db=ctx.db,
        services=services,
        batch_id=data.batch_id,
        org_id=org.org_id,
        org=profile,
        variations=variations,
        policy=services.retry_policy,
        tables=tables,
    )
    outcome = runner.run(cells)
    with ctx.db.transaction() as conn:
        after = refresh_counters(conn, tables, data.batch_id)
    check_outcome(
        total=after["total_cells"],
        failed=after["failed_cells"],
        allowed_ratio=services.max_failed_cells_ratio,
        causes=outcome.causes,
        examples=outcome.examples,
    )
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


def require_routes(services: WorkflowServices, cells: list[Cell]) -> None:
    """Fail before any provider call when a model has no route (no silent simulation)."""
    unrouted: dict[str, str] = {}
    for cell in cells:
        if cell.model in unrouted:
            continue
        try:
            services.registry.route_for(cell.model)
        except InvalidInputError as exc:
            unrouted[cell.model] = exc.message
    if unrouted:
        names = ", ".join(repr(name) for name in sorted(unrouted))
        raise InvalidInputError(
            f"no route for model {names}: {next(iter(unrouted.values()))}",
            hint="add a route under providers.routes (SENSO_PROVIDERS_JSON in the task "
            "definition); simulated answers need an explicit route or default_provider",
        )


STEP = register(
    Step(
        "RunQuestionMatrixWithEvaluation",
        BatchStepInput,
        run_question_matrix,
        needs=PROVIDERS,
    )
)
