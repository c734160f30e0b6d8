"""TrackUsage: charge each successful cell exactly once, in one transaction.

Failed and placeholder cells are never charged, and neither are simulated ones: a simulated
answer is generated offline by senso and costs nobody anything, so it is free (no ledger row,
no balance change); a batch of only simulated cells is charged nothing at all. The payer is the
one CheckBalance recorded on the batch. Each charge claims its key in senso.ledger_keys (source
type, source id, org) before the product's ledger row is written, and the balance moves by the
sum of the rows this call really inserted, so a second run, or two concurrent runs, charge
nothing more. A shadow batch writes senso's shadow ledger and moves no balance. The charge is
senso's whole cost of the cell (answer, mention check and competitor extraction) through the
one price function.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.billing.ledger import Payer, adjust_balance, insert_entry, payer_for_org
from handlers.billing.pricing import charge_for_cell, load_pricing
from handlers.repositories.batches import load_batch
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register

SOURCE_TYPE = "question_run"


class UsageSummary(StepModel):
    charged_cells: int
    amount: Decimal
    already_charged: int
    payer_type: str
    # Completed cells answered by the simulated provider: free, never on the ledger.
    simulated_cells: int = 0


def track_usage(ctx: StepContext, data: BatchStepInput) -> UsageSummary:
    tables = data.tables(ctx)
    product = ctx.db.tables
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, tables, data.batch_id, lock=True)
        org_payer = payer_for_org(conn, product, batch["org_id"])
        payer = (
            Payer(batch["payer_type"], batch["payer_id"], org_payer.org_id, org_payer.partner_id)
            if batch["payer_type"]
            else org_payer
        )
        pricing = load_pricing(conn, product, payer.partner_id)
        # Names come from the validated table map; values are parameters.
        runs = conn.execute(
            f"""SELECT r.question_run_id, coalesce(r.total_cost, 0) AS answer_cost,
                       coalesce((SELECT sum(e.total_cost) FROM {tables.org_evals} e
                                 WHERE e.question_run_id = r.question_run_id), 0) AS eval_cost,
                       coalesce((SELECT sum(c.total_cost) FROM {tables.org_competitors} c
                                 WHERE c.question_run_id = r.question_run_id), 0)
                         AS competitor_cost,
                       (k.entry_id IS NOT NULL) AS charged, cr.simulated
                FROM senso.cell_runs cr
                JOIN {tables.question_runs} r ON r.question_run_id = cr.question_run_id
                LEFT JOIN senso.ledger_keys k
                  ON k.shadow = %s AND k.source_type = %s
                     AND k.source_id = r.question_run_id::text AND k.org_id = %s
                WHERE cr.batch_id = %s AND cr.status = 'completed' AND NOT cr.is_placeholder
                ORDER BY r.created_at, r.question_run_id""",  # noqa: S608
            (tables.is_shadow, SOURCE_TYPE, batch["org_id"], batch["batch_id"]),
        ).fetchall()
        total = Decimal(0)
        charged = already = simulated = 0
        for run in runs:
            if run["simulated"] and not run["charged"]:
                simulated += 1
                continue
            if run["charged"]:
                already += 1
                continue
            senso_cost = (
                Decimal(run["answer_cost"])
                + Decimal(run["eval_cost"])
                + Decimal(run["competitor_cost"])
            )
            charge = charge_for_cell(pricing, senso_cost)
            inserted = insert_entry(
                conn,
                tables,
                payer=payer,
                amount=-charge.amount,
                source_type=SOURCE_TYPE,
                source_id=str(run["question_run_id"]),
                metadata={
                    # The old system's keys (domain.md section 5), all values as strings.
                    "question_run_id": str(run["question_run_id"]),
                    "org_id": str(payer.org_id),
                    "partner_id": str(payer.partner_id),
                    "senso_cost": str(senso_cost),
                    "actualcharge": str(charge.amount),
                    "margin_pct": str(pricing.margin_pct or ""),
                    "pricing_mode": charge.mode,
                    "batch_id": str(batch["batch_id"]),
                },
            )
            if inserted:
                charged += 1
                total += charge.amount
            else:
                already += 1
        if total:
            adjust_balance(conn, tables, payer.payer_type, payer.payer_id, -total)
    return UsageSummary(
        charged_cells=charged,
        amount=total,
        already_charged=already,
        payer_type=payer.payer_type,
        simulated_cells=simulated,
    )


STEP = register(Step("TrackUsage", BatchStepInput, track_usage))
