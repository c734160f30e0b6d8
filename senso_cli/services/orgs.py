"""Org data for operators: import files, list and show orgs, grant credits."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.billing.ledger import balance_of, grant_credits, payer_for_org
from handlers.db.database import Database
from handlers.db.migrate import require_owned
from handlers.errors import InvalidInputError
from handlers.repositories.orgs import OrgDetails, OrgRepository, OrgSummary

if TYPE_CHECKING:
    from handlers.orgdata.importer import ImportReport


def import_file(db: Database, path: Path) -> ImportReport:
    """Validate the whole file first (nothing is written on error), then import it."""
    # The importer (YAML, the org file schema) loads here, not for `orgs list`.
    from handlers.orgdata.importer import import_orgs, load_org_file

    return import_orgs(db, load_org_file(path))


def seed_demo(db: Database) -> ImportReport:
    from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file

    return import_orgs(db, load_org_file(demo_org_path()))


def list_orgs(db: Database) -> list[OrgSummary]:
    return OrgRepository(db).list_all()


def show_org(db: Database, ref: str) -> OrgDetails:
    return OrgRepository(db).get(ref)


@dataclass(frozen=True)
class GrantResult:
    org: str
    amount: Decimal
    granted: bool
    payer_type: str
    balance: Decimal
    key: str


# credit_ledger.amount and credit_balances.current_balance are numeric(14, 6): six decimal
# places and eight integer digits. An amount the columns cannot hold exactly is refused here,
# before anything is written, instead of being rounded away or overflowing in PostgreSQL.
LEDGER_SCALE = 6
LEDGER_MAX = Decimal("99999999.999999")


def parse_amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation as exc:
        raise InvalidInputError(
            f"amount {text!r} is not a number", hint="e.g. 100 or 12.5"
        ) from exc
    if not amount.is_finite() or amount <= 0:
        raise InvalidInputError(
            f"amount {text!r} must be a positive number", hint="e.g. 100 or 12.5"
        )
    if amount != round(amount, LEDGER_SCALE):
        raise InvalidInputError(
            f"amount {text!r} has more than {LEDGER_SCALE} decimal places: the ledger keeps "
            f"{LEDGER_SCALE}, so it would not be granted as written",
            hint="round it, e.g. 0.000001 is the smallest grant",
        )
    if amount > LEDGER_MAX:
        raise InvalidInputError(
            f"amount {text!r} is above the ledger's maximum of {LEDGER_MAX:,}",
            hint="grant a smaller amount",
        )
    # A plain, exact value (1E+2 -> 100): the idempotency key and the output use it.
    return amount.quantize(Decimal(1).scaleb(-LEDGER_SCALE)).normalize() + 0


def grant(db: Database, ref: str, amount: Decimal, reason: str, key: str | None) -> GrantResult:
    """Credit the org's payer. Without an explicit key, the same grant (org, amount, reason)
    on the same UTC day is recognised as a repeat and not applied twice."""
    if not reason.strip():
        raise InvalidInputError(
            "--reason must not be empty", hint="say why the credits are granted"
        )
    repo = OrgRepository(db)
    with db.transaction() as conn:
        require_owned(conn, "credits grant")
        org_id = repo.resolve_id(conn, ref)
        day = datetime.now(UTC).date().isoformat()
        grant_key = (
            key or hashlib.sha256(f"{org_id}|{amount}|{reason}|{day}".encode()).hexdigest()[:24]
        )
        payer = payer_for_org(conn, db.tables, org_id)
        before = balance_of(conn, db.tables, payer.payer_type, payer.payer_id)
        if before + amount > LEDGER_MAX:
            raise InvalidInputError(
                f"granting {amount} would take the {payer.payer_type.lower()} balance "
                f"{before:.2f} above the ledger's maximum of {LEDGER_MAX:,}",
                hint="grant a smaller amount",
            )
        granted = grant_credits(
            conn,
            db.tables,
            org_id=org_id,
            amount=amount,
            source_type="grant",
            source_id=grant_key,
            reason=reason,
        )
        payer = payer_for_org(conn, db.tables, org_id)
        balance = balance_of(conn, db.tables, payer.payer_type, payer.payer_id)
    return GrantResult(ref, amount, granted, payer.payer_type, balance, grant_key)
