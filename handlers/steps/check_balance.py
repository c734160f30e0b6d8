"""CheckBalance: can the payer cover the cells still to run?

The estimate uses `estimate_unit`, which prices a cell with `charge_for_cell`, the very function
TrackUsage charges with, margin included (handlers.billing.pricing states the overdraft policy).
The payer recorded here on senso's batch row is the one TrackUsage debits. Insufficient credits
is its own non-retryable error (Senso.InsufficientCredits), raised before any provider is called.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.billing.ledger import balance_of, payer_for_org
from handlers.billing.pricing import estimate_unit, load_pricing
from handlers.errors import InsufficientCreditsError
from handlers.repositories.batches import cells_to_run_count, load_batch
from handlers.steps.base import BatchStepInput, Step, StepContext, StepModel, register


class BalanceCheck(StepModel):
    payer_type: str
    balance: Decimal
    estimate: Decimal
    cells_to_run: int
    unit_price: Decimal


def check_balance(ctx: StepContext, data: BatchStepInput) -> BalanceCheck:
    tables = data.tables(ctx)
    product = ctx.db.tables  # orgs, pricing and balances are the product's, shadow or not
    with ctx.db.transaction() as conn:
        load_batch(conn, tables, data.batch_id, lock=True)
        payer = payer_for_org(conn, product, data.org_id)
        unit = estimate_unit(load_pricing(conn, product, payer.partner_id))
        cells = cells_to_run_count(conn, tables, data.batch_id, data.org_id)
        estimate = unit * cells
        balance = balance_of(conn, product, payer.payer_type, payer.payer_id)
        conn.execute(
            """UPDATE senso.batches SET payer_type = %s, payer_id = %s, unit_price = %s
               WHERE batch_id = %s""",
            (payer.payer_type, payer.payer_id, unit, data.batch_id),
        )
    if balance < estimate:
        raise InsufficientCreditsError(
            f"{payer.payer_type.lower()} balance {balance:.2f} does not cover {cells} cells "
            f"x {unit} = {estimate:.2f}",
            hint=f"grant credits: `senso credits grant {data.org_id} AMOUNT --reason ...`",
        )
    return BalanceCheck(
        payer_type=payer.payer_type,
        balance=balance,
        estimate=estimate,
        cells_to_run=cells,
        unit_price=unit,
    )


STEP = register(Step("CheckBalance", BatchStepInput, check_balance))
