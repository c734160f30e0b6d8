"""A product database the way the old system left it, for external-mode tests.

Product tables only (no senso schema), created without a single constraint (no primary key, no
unique key: the product database may have none), and an org written with plain INSERTs as
senso-api would. senso must then migrate only its own schema and evaluate the org.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import psycopg

from handlers.db.database import Database
from handlers.db.product_schema import reconstruction_sql
from handlers.db.tables import Tables

QUESTIONS = [
    "Which credit union is best for car loans?",
    "Where should I open a savings account?",
    "What bank has the best mobile app?",
]
MODELS = ["gpt-4.1", "perplexity"]
LOCATIONS: list[tuple[str, str | None]] = [("US", None), ("CA", "Ontario")]


def build_product_tables(db: Database, tables: Tables | None = None) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute(reconstruction_sql(tables or Tables(), strict=False).encode())


def product_schema_dump(db: Database) -> list[tuple[Any, ...]]:
    """Every column, type, default and constraint outside schema senso: equal before/after."""
    with db.connect() as conn:
        columns = conn.execute(
            """SELECT table_schema, table_name, column_name, data_type, column_default,
                      is_nullable
               FROM information_schema.columns
               WHERE table_schema NOT IN ('senso', 'pg_catalog', 'information_schema')
               ORDER BY 1, 2, 3"""
        ).fetchall()
        constraints = conn.execute(
            """SELECT n.nspname, c.conname, pg_get_constraintdef(c.oid) AS def
               FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
               WHERE n.nspname NOT IN ('senso', 'pg_catalog', 'information_schema')
               ORDER BY 1, 2"""
        ).fetchall()
        indexes = conn.execute(
            """SELECT schemaname, indexname, indexdef FROM pg_indexes
               WHERE schemaname NOT IN ('senso', 'pg_catalog') ORDER BY 1, 2"""
        ).fetchall()
    return [tuple(r.values()) for r in [*columns, *constraints, *indexes]]


def product_row_counts(db: Database, tables: Tables | None = None) -> dict[str, int]:
    t = tables or Tables()
    counts: dict[str, int] = {}
    with db.connect() as conn:
        for logical, physical in t.product_items():
            row = conn.execute(f"SELECT count(*) AS n FROM {physical}").fetchone()  # noqa: S608
            counts[logical] = int(row["n"]) if row else 0
    return counts


def balances(db: Database) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT org_id, partner_id, current_balance FROM credit_balances "
            "ORDER BY org_id, partner_id"
        ).fetchall()
    return [tuple(r.values()) for r in rows]


def seed_product_org(
    db: Database,
    *,
    name: str = "Acme Credit Union",
    credits: Decimal = Decimal(100),
    models: list[str] | None = None,
    deleted: bool = False,
    schedule: tuple[int, ...] = (),
    tables: Tables | None = None,
) -> uuid.UUID:
    """An org with 3 questions x 2 models x 2 locations, as senso-api would have written it,
    scheduled on `schedule` (0 = Monday ... 6 = Sunday, as the old scheduler counts)."""
    org_id, partner_id = uuid.uuid4(), uuid.uuid4()
    names = tables or Tables()

    def _insert(conn: psycopg.Connection[Any], logical: str, **values: Any) -> None:
        insert(conn, getattr(names, logical), **values)

    with db.connect() as conn, conn.transaction():
        _insert(conn, "partners", partner_id=partner_id, name="Partner One")
        _insert(
            conn,
            "orgs",
            org_id=org_id,
            name=name,
            partner_id=partner_id,
            is_free_tier=False,
            deleted_at=None if not deleted else "2026-01-01T00:00:00Z",
        )
        _insert(
            conn, "org_websites", org_website_id=uuid.uuid4(), org_id=org_id, url="acmecu.example"
        )
        for i, text in enumerate(QUESTIONS):
            _insert(
                conn,
                "geo_questions",
                geo_question_id=uuid.uuid4(),
                org_id=org_id,
                question_text=text,
                type="topic",
                created_at=f"2026-01-01T00:00:0{i}Z",
            )
        for i, model in enumerate(models or MODELS):
            _insert(
                conn,
                "geo_models",
                geo_model_id=uuid.uuid4(),
                org_id=org_id,
                name=model,
                created_at=f"2026-01-01T00:00:0{i}Z",
            )
        for i, (country, region) in enumerate(LOCATIONS):
            _insert(
                conn,
                "org_locations",
                org_location_id=uuid.uuid4(),
                org_id=org_id,
                country_code=country,
                region_name=region,
                created_at=f"2026-01-01T00:00:0{i}Z",
            )
        for day_of_week in schedule:
            _insert(conn, "org_schedules", org_id=org_id, day_of_week=day_of_week)
        # The purchase behind the balance, so balance == ledger holds from the start.
        _insert(
            conn,
            "credit_ledger",
            entry_id=uuid.uuid4(),
            org_id=org_id,
            partner_id=partner_id,
            amount=credits,
            source_type="purchase",
            source_id=str(uuid.uuid4()),
            metadata="{}",
            payer_type="ORG",
            created_at="2026-01-01T00:00:00Z",
        )
        _insert(
            conn,
            "credit_balances",
            balance_id=uuid.uuid4(),
            org_id=org_id,
            partner_id=None,
            current_balance=credits,
        )
    return org_id


def insert(conn: psycopg.Connection[Any], table: str, **values: Any) -> None:
    columns = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - test constants
        tuple(values.values()),
    )
