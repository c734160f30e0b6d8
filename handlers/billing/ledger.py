"""The credit ledger and balances.

Exactly-once is a database fact, not a check: the ledger's unique key (source type, source id,
org) makes a second insert of the same charge a no-op (`ON CONFLICT DO NOTHING`), and the balance
moves in the same transaction by exactly the rows that were really inserted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from handlers.errors import NotFoundError


@dataclass(frozen=True)
class Payer:
    """Whose balance pays: the org's own, or its partner's for free-tier orgs."""

    payer_type: str
    payer_id: UUID
    org_id: UUID
    partner_id: UUID


def payer_for_org(conn: psycopg.Connection[Any], org_id: UUID) -> Payer:
    row = conn.execute(
        "SELECT org_id, partner_id, is_free_tier FROM orgs WHERE org_id = %s", (org_id,)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"org {org_id} does not exist", hint="see `senso orgs list`")
    if row["is_free_tier"]:
        return Payer("PARTNER", row["partner_id"], row["org_id"], row["partner_id"])
    return Payer("ORG", row["org_id"], row["org_id"], row["partner_id"])


def balance_of(conn: psycopg.Connection[Any], payer_type: str, payer_id: UUID) -> Decimal:
    row = conn.execute(
        "SELECT current_balance FROM credit_balances WHERE owner_type = %s AND owner_id = %s",
        (payer_type, payer_id),
    ).fetchone()
    return Decimal(row["current_balance"]) if row else Decimal(0)


def adjust_balance(
    conn: psycopg.Connection[Any], payer_type: str, payer_id: UUID, delta: Decimal
) -> None:
    """Add `delta` atomically (one UPDATE, no read-modify-write in Python)."""
    conn.execute(
        """INSERT INTO credit_balances (owner_type, owner_id, current_balance)
           VALUES (%s, %s, %s)
           ON CONFLICT (owner_type, owner_id) DO UPDATE
             SET current_balance = credit_balances.current_balance + EXCLUDED.current_balance,
                 updated_at = now()""",
        (payer_type, payer_id, delta),
    )


def insert_entry(
    conn: psycopg.Connection[Any],
    *,
    payer: Payer,
    amount: Decimal,
    source_type: str,
    source_id: str,
    batch_id: UUID | None = None,
    metadata: dict[str, str] | None = None,
) -> bool:
    """Insert one ledger entry unless it exists; True when this call inserted it."""
    inserted = conn.execute(
        """INSERT INTO credit_ledger (entry_id, org_id, partner_id, payer_type, payer_id, amount,
                                      source_type, source_id, batch_id, metadata)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (source_type, source_id, org_id) DO NOTHING""",
        (
            uuid.uuid4(),
            payer.org_id,
            payer.partner_id,
            payer.payer_type,
            payer.payer_id,
            amount,
            source_type,
            source_id,
            batch_id,
            json.dumps(metadata or {}),
        ),
    ).rowcount
    return inserted == 1


def grant_credits(
    conn: psycopg.Connection[Any],
    *,
    org_id: UUID,
    amount: Decimal,
    source_type: str,
    source_id: str,
    reason: str,
) -> bool:
    """Credit the org's payer once per (source type, source id); True when granted now."""
    payer = payer_for_org(conn, org_id)
    granted = insert_entry(
        conn,
        payer=payer,
        amount=amount,
        source_type=source_type,
        source_id=source_id,
        metadata={"reason": reason},
    )
    if granted:
        adjust_balance(conn, payer.payer_type, payer.payer_id, amount)
    return granted
