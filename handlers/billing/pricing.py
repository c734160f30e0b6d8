"""The one price function: CheckBalance estimates with it and TrackUsage charges with it.

The old system estimated with the partner's fixed price but charged a hard-coded 0.05, so a
check could pass and the charge still overdraw (a 0.9 margin charged 17.5x the estimate). Here
both go through `charge_for_cell`:

* a margin configured (0 < margin < 1) and a known cost > 0: cost / (1 - margin), "dynamic";
* else the partner's fixed price when configured, "fixed";
* else the default price per run, "default".

The estimate prices each cell at `ESTIMATE_CELL_COST`, an upper bound of what one cell costs
senso (answer + evaluation + competitors), so with a margin the estimate is at least the charge.

Overdraft policy: a completed cell is always charged, because its work was done and paid for.
CheckBalance refuses a batch whose estimate the balance does not cover, so a balance goes below
zero only when a batch's real cost exceeded its estimate; the debt stays on the ledger and the
next CheckBalance refuses until credits are granted (tests/functional/steps/test_overdraft.py).

Simulated cells are free: TrackUsage never prices them (no ledger row, no balance change). The
estimate still covers every cell still to run, simulated or not, because the route a cell takes
is resolved by the matrix step; an upper bound never under-covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import psycopg

from handlers.db.tables import Tables

DEFAULT_PRICE = Decimal("0.05")
# USD: above the dearest cell of the price table (a web-search answer plus two LLM calls).
ESTIMATE_CELL_COST = Decimal("0.05")
ACTION = "question_run"
_CENTS = Decimal("0.000001")


@dataclass(frozen=True)
class Pricing:
    fixed_price: Decimal | None = None
    margin_pct: Decimal | None = None


@dataclass(frozen=True)
class Charge:
    amount: Decimal
    mode: str
    senso_cost: Decimal


def charge_for_cell(pricing: Pricing, senso_cost: Decimal) -> Charge:
    margin = pricing.margin_pct
    if margin is not None and Decimal(0) < margin < Decimal(1) and senso_cost > 0:
        amount = senso_cost / (Decimal(1) - margin)
        return Charge(amount.quantize(_CENTS, ROUND_HALF_UP), "dynamic", senso_cost)
    if pricing.fixed_price is not None and pricing.fixed_price > 0:
        return Charge(pricing.fixed_price, "fixed", senso_cost)
    return Charge(DEFAULT_PRICE, "default", senso_cost)


def estimate_unit(pricing: Pricing) -> Decimal:
    """The price of one cell for the estimate, by the function that charges it."""
    return charge_for_cell(pricing, ESTIMATE_CELL_COST).amount


def estimate_charge(pricing: Pricing, cells: int) -> Decimal:
    """What `cells` cells will cost at most, with the same function that charges them."""
    return estimate_unit(pricing) * cells


def load_pricing(conn: psycopg.Connection[Any], t: Tables, partner_id: UUID) -> Pricing:
    row = conn.execute(
        f"""SELECT wholesale_fixed_price, wholesale_margin_pct FROM {t.wholesale_pricing}
            WHERE partner_id = %s AND action = %s ORDER BY config_id LIMIT 1""",  # noqa: S608
        (partner_id, ACTION),
    ).fetchone()
    if row is None:
        return Pricing()
    return Pricing(row["wholesale_fixed_price"], row["wholesale_margin_pct"])
