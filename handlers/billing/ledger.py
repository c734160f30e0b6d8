"""The credit ledger and balances, in the product's tables, charged exactly once.

The product's ledger may have no unique constraint, so exactly-once lives in senso's schema:
`senso.ledger_keys` has one row per (live or shadow, source type, source id, org), inserted in
the same transaction as the ledger row (`ON CONFLICT DO NOTHING` decides who inserts it), and
the balance moves in that transaction by exactly the rows really inserted. The balance row is
updated under an advisory lock on its owner, because with no unique key two first-time
inserts could otherwise create two balance rows.

A shadow ledger (`Tables.shadow()`) gets ledger rows but never moves a balance: a shadow run
charges nobody.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from handlers.db.tables import Tables
from handlers.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class Payer:
    """Whose balance pays: the org's own, or its partner's for free-tier orgs."""

    payer_type: str
    payer_id: UUID
    org_id: UUID
    partner_id: UUID


def payer_for_org(conn: psycopg.Connection[Any], t: Tables, org_id: UUID) -> Payer:
    row = conn.execute(
        f"SELECT org_id, partner_id, is_free_tier FROM {t.orgs} WHERE org_id = %s",  # noqa: S608
        (org_id,),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"org {org_id} does not exist", hint="see `senso orgs list`")
    if row["partner_id"] is None:
        raise InvalidInputError(
            f"org {org_id} has no partner, so nobody can be billed for it",
            hint="set the org's partner_id in the product database",
        )
    if row["is_free_tier"]:
        return Payer("PARTNER", row["partner_id"], row["org_id"], row["partner_id"])
    return Payer("ORG", row["org_id"], row["org_id"], row["partner_id"])


def _owner_filter(payer_type: str) -> str:
    # An org's balance row carries its org_id; a partner's has a partner_id and no org_id.
    return "org_id = %s" if payer_type == "ORG" else "partner_id = %s AND org_id IS NULL"


def balance_of(
    conn: psycopg.Connection[Any], t: Tables, payer_type: str, payer_id: UUID
) -> Decimal:
    row = conn.execute(
        f"SELECT coalesce(sum(current_balance), 0) AS balance FROM {t.credit_balances} "  # noqa: S608
        f"WHERE {_owner_filter(payer_type)}",
        (payer_id,),
    ).fetchone()
    return Decimal(row["balance"]) if row else Decimal(0)


def adjust_balance(
    conn: psycopg.Connection[Any], t: Tables, payer_type: str, payer_id: UUID, delta: Decimal
) -> None:
    """Add `delta` to the payer's balance in this transaction (one UPDATE, no Python RMW)."""
    if t.is_shadow:
        return
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('senso-balance:' || %s::text))", (payer_id,)
    )
    updated = conn.execute(
        f"UPDATE {t.credit_balances} SET current_balance = current_balance + %s, "  # noqa: S608
        f"updated_at = now() WHERE {_owner_filter(payer_type)}",
        (delta, payer_id),
    ).rowcount
    if updated == 0:
        org_id, partner_id = (payer_id, None) if payer_type == "ORG" else (None, payer_id)
        conn.execute(
            f"""INSERT INTO {t.credit_balances} (balance_id, org_id, partner_id, current_balance)
                VALUES (%s, %s, %s, %s)""",  # noqa: S608
            (uuid.uuid4(), org_id, partner_id, delta),
        )


def insert_entry(
    conn: psycopg.Connection[Any],
    t: Tables,
    *,
    payer: Payer,
    amount: Decimal,
    source_type: str,
    source_id: str,
    metadata: dict[str, str] | None = None,
) -> bool:
    """Insert one ledger entry unless senso already did; True when this call inserted it."""
    entry_id = uuid.uuid4()
    claimed = conn.execute(
        """INSERT INTO senso.ledger_keys (shadow, source_type, source_id, org_id, entry_id)
           VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
        (t.is_shadow, source_type, source_id, payer.org_id, entry_id),
    ).rowcount
    if claimed != 1:
        return False
    conn.execute(
        f"""INSERT INTO {t.credit_ledger} (entry_id, org_id, partner_id, amount, source_type,
                                          source_id, metadata, payer_type, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())""",  # noqa: S608
        (
            entry_id,
            payer.org_id,
            payer.partner_id,
            amount,
            source_type,
            source_id,
            json.dumps(metadata or {}),
            payer.payer_type,
        ),
    )
    return True


def grant_credits(
    conn: psycopg.Connection[Any],
    t: Tables,
    *,
    org_id: UUID,
    amount: Decimal,
    source_type: str,
    source_id: str,
    reason: str,
) -> bool:
    """Credit the org's payer once per (source type, source id); True when granted now."""
    payer = payer_for_org(conn, t, org_id)
    granted = insert_entry(
        conn,
        t,
        payer=payer,
        amount=amount,
        source_type=source_type,
        source_id=source_id,
        metadata={"reason": reason, "org_id": str(org_id), "partner_id": str(payer.partner_id)},
    )
    if granted:
        adjust_balance(conn, t, payer.payer_type, payer.payer_id, amount)
    return granted
