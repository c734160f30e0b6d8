"""The one price function: CheckBalance estimates with it and TrackUsage charges with it.

The old system estimated with the partner's fixed price but charged a hard-coded 0.05, so a
check could pass and the charge still overdraw. Here both go through `charge_for_cell`:

* a margin configured (0 < margin < 1) and a known cost > 0: cost / (1 - margin), "dynamic";
* else the partner's fixed price when configured, "fixed";
* else the default price per run, "default".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import psycopg

DEFAULT_PRICE = Decimal("0.05")
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


def estimate_charge(pricing: Pricing, cells: int, expected_cost_per_cell: Decimal) -> Decimal:
    """What `cells` cells will cost, with the same function that charges them."""
    return charge_for_cell(pricing, expected_cost_per_cell).amount * cells


def load_pricing(conn: psycopg.Connection[Any], partner_id: UUID) -> Pricing:
    row = conn.execute(
        """SELECT wholesale_fixed_price, wholesale_margin_pct FROM pricing_configs
           WHERE partner_id = %s AND action = %s""",
        (partner_id, ACTION),
    ).fetchone()
    if row is None:
        return Pricing()
    return Pricing(row["wholesale_fixed_price"], row["wholesale_margin_pct"])
