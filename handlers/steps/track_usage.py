"""TrackUsage: charge each successful cell exactly once, in one transaction.

Failed and placeholder cells are never charged. The payer is the one CheckBalance recorded on
the batch. Each ledger insert is `ON CONFLICT DO NOTHING` on (source type, source id, org), and
the balance moves by the sum of the rows this call really inserted, so a second run, or two
concurrent runs, charge nothing more.
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


def track_usage(ctx: StepContext, data: BatchStepInput) -> UsageSummary:
    with ctx.db.transaction() as conn:
        batch = load_batch(conn, data.batch_id, lock=True)
        org_payer = payer_for_org(conn, batch["org_id"])
        payer = (
            Payer(batch["payer_type"], batch["payer_id"], org_payer.org_id, org_payer.partner_id)
            if batch["payer_type"]
            else org_payer
        )
        pricing = load_pricing(conn, payer.partner_id)
        runs = conn.execute(
            """SELECT r.question_run_id, r.answer_cost, coalesce(e.eval_cost, 0) AS eval_cost,
                      (l.entry_id IS NOT NULL) AS charged
               FROM question_runs r
               LEFT JOIN org_evals e ON e.question_run_id = r.question_run_id
               LEFT JOIN credit_ledger l
                 ON l.source_type = %s AND l.source_id = r.question_run_id::text
                    AND l.org_id = r.org_id
               WHERE r.batch_id = %s AND r.status = 'completed' AND NOT r.is_placeholder
               ORDER BY r.created_at""",
            (SOURCE_TYPE, batch["batch_id"]),
        ).fetchall()
        total = Decimal(0)
        charged = already = 0
        for run in runs:
            if run["charged"]:
                already += 1
                continue
            senso_cost = Decimal(run["answer_cost"]) + Decimal(run["eval_cost"])
            charge = charge_for_cell(pricing, senso_cost)
            inserted = insert_entry(
                conn,
                payer=payer,
                amount=-charge.amount,
                source_type=SOURCE_TYPE,
                source_id=str(run["question_run_id"]),
                batch_id=batch["batch_id"],
                metadata={
                    "question_run_id": str(run["question_run_id"]),
                    "senso_cost": str(senso_cost),
                    "charge": str(charge.amount),
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
            adjust_balance(conn, payer.payer_type, payer.payer_id, -total)
    return UsageSummary(
        charged_cells=charged, amount=total, already_charged=already, payer_type=payer.payer_type
    )


STEP = register(Step("TrackUsage", BatchStepInput, track_usage))
