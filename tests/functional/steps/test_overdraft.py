"""The overdraft policy stated in handlers/billing/pricing.py, exercised on a billable provider.

- CheckBalance refuses a batch whose estimate the balance does not cover, before any provider
  call (a balance exactly equal to the estimate is enough);
- a completed cell is always charged, even when the batch's real cost exceeds its estimate and
  so the balance: the balance goes below zero by exactly the ledger rows, the batch completes;
- the debt stays on the ledger, and the next CheckBalance refuses until credits are granted.

The answers come from a local OpenAI-protocol server (simulated answers are free, so they could
never overdraw).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from handlers.billing.ledger import grant_credits
from handlers.billing.pricing import Pricing, estimate_charge
from handlers.db.database import Database
from handlers.errors import InsufficientCreditsError
from handlers.runtime import WorkflowServices
from handlers.workflow import run_inline
from tests.billable import billable_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.functional.steps.conftest import SMALL_ORG, seed_org
from tests.reliability.invariants import check_invariants

CELLS = 12
MARGIN = Decimal("0.9")
# The org's partner keeps a 90% margin: a cell is charged its cost / (1 - 0.9).
MARGIN_ORG = SMALL_ORG.replace(
    "partner: {slug: p1, name: Partner One}",
    f"partner: {{slug: p1, name: Partner One, margin_pct: {MARGIN}}}",
)
ESTIMATE = estimate_charge(Pricing(margin_pct=MARGIN), CELLS)


def _set_balance(db: Database, org_id: UUID, amount: Decimal) -> None:
    """The balance and a ledger that sums to it (a purchase), so balance == ledger holds."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM credit_ledger WHERE org_id = %s", (org_id,))
        conn.execute("DELETE FROM senso.ledger_keys WHERE org_id = %s", (org_id,))
        conn.execute("UPDATE credit_balances SET current_balance = 0 WHERE org_id = %s", (org_id,))
    with db.transaction() as conn:
        grant_credits(
            conn,
            db.tables,
            org_id=org_id,
            amount=amount,
            source_type="purchase",
            source_id=f"test-{amount}",
            reason="test balance",
        )


def _balance(db: Database, org_id: UUID) -> Decimal:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT current_balance FROM credit_balances WHERE org_id = %s", (org_id,)
        ).fetchone()
    assert row is not None
    return Decimal(row["current_balance"])


def _charges(db: Database) -> list[Decimal]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT amount FROM credit_ledger WHERE source_type = 'question_run'"
        ).fetchall()
    return [-Decimal(r["amount"]) for r in rows]


@pytest.fixture
def org_id(db: Database) -> UUID:
    return seed_org(db, MARGIN_ORG)


@pytest.fixture
def dear_server() -> Iterator[FakeOpenAIServer]:
    # 20,000 output tokens of gpt-4.1 cost 0.16 USD, above the estimate's 0.05 per cell.
    with FakeOpenAIServer(output_tokens=20_000) as server:
        yield server


@pytest.fixture
def dear(tmp_path: Path, dear_server: FakeOpenAIServer) -> Iterator[WorkflowServices]:
    services = billable_services(tmp_path, dear_server)
    yield services
    services.close()


def test_a_balance_below_the_estimate_is_refused_before_any_provider_call(
    db: Database, org_id: UUID, dear: WorkflowServices, dear_server: FakeOpenAIServer
) -> None:
    assert estimate_charge(Pricing(margin_pct=MARGIN), 1) == Decimal("0.5")  # 0.05 / (1 - 0.9)
    _set_balance(db, org_id, ESTIMATE - Decimal("0.01"))
    with pytest.raises(InsufficientCreditsError, match="does not cover 12 cells"):
        run_inline(db, {"org_id": str(org_id)}, services=dear)
    assert dear_server.request_count == 0
    assert _charges(db) == [] and _balance(db, org_id) == ESTIMATE - Decimal("0.01")
    check_invariants(db)


def test_a_batch_dearer_than_its_estimate_overdraws_and_the_debt_blocks_the_next(
    db: Database, org_id: UUID, dear: WorkflowServices, dear_server: FakeOpenAIServer
) -> None:
    # Exactly the estimate passes the check; the real answers cost more than estimated.
    _set_balance(db, org_id, ESTIMATE)
    state = run_inline(db, {"org_id": str(org_id)}, services=dear)
    assert state["completion"]["status"] == "completed"
    charges = _charges(db)
    # Every completed cell is charged once, in full, though the balance cannot cover them.
    assert len(charges) == CELLS and state["usage"]["charged_cells"] == CELLS
    assert min(charges) > ESTIMATE / CELLS
    assert _balance(db, org_id) == ESTIMATE - sum(charges) < 0
    check_invariants(db)  # balance == ledger, below zero included

    # The debt stays: the next batch is refused at CheckBalance, before any provider call.
    calls = dear_server.request_count
    another_day = {"org_id": str(org_id), "batch_day": date(2026, 11, 21).isoformat()}
    with pytest.raises(InsufficientCreditsError):
        run_inline(db, another_day, services=dear)
    assert dear_server.request_count == calls

    # Once credits are granted to cover the debt and the estimate, the next batch runs.
    debt = -_balance(db, org_id)
    with db.transaction() as conn:
        grant_credits(
            conn,
            db.tables,
            org_id=org_id,
            amount=debt + ESTIMATE,
            source_type="purchase",
            source_id="top-up",
            reason="cover the debt",
        )
    again = run_inline(db, another_day, services=dear)
    assert again["completion"]["status"] == "completed"
    check_invariants(db)
