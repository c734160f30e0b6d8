"""Versioned SQL migrations of senso's schema, applied in order and recorded in
`senso.schema_migrations`; in owned mode also the product tables' reconstruction.

Two processes may start at once (the CLI and a step handler, or ten triggers): a session-level
advisory lock serialises them, and the second finds nothing left to apply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

from handlers.db.database import Database
from handlers.db.product_schema import create_table_sql, reconstruction_tables, shadow_tables
from handlers.db.tables import Tables
from handlers.errors import DatabaseError, InvalidInputError

# An arbitrary constant that identifies senso's migration lock among other advisory locks.
MIGRATION_LOCK_KEY = 0x5E4501


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    """The migrations shipped in the package, ordered by version."""
    found: list[Migration] = []
    folder = resources.files("handlers.db") / "migrations"
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        version_text, _, rest = entry.name.partition("_")
        found.append(Migration(int(version_text), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def apply_migrations(db: Database, *, mode: str = "auto") -> list[Migration]:
    """Migrate senso's schema; in owned mode also build the product reconstruction.

    `mode` is "owned", "external" or "auto" (owned when senso built this database's product
    tables or the database has none yet; external when product tables exist that senso did not
    create). In external mode no product table is ever created, altered or dropped.
    Returns the senso migrations this call applied.
    """
    applied_now: list[Migration] = []
    with db.connect(autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            _refuse_old_layout(conn)
            owned = resolve_mode(conn, db.tables, mode) == "owned"
            conn.execute("CREATE SCHEMA IF NOT EXISTS senso")
            conn.execute(
                """CREATE TABLE IF NOT EXISTS senso.schema_migrations (
                       version    integer PRIMARY KEY,
                       name       text NOT NULL,
                       checksum   text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            rows = conn.execute("SELECT version, checksum FROM senso.schema_migrations").fetchall()
            done = {row["version"]: row["checksum"] for row in rows}
            for migration in available_migrations():
                if migration.version in done:
                    if done[migration.version] != migration.checksum:
                        raise DatabaseError(
                            f"migration {migration.version} ({migration.name}) was changed "
                            "after it was applied",
                            hint="never edit an applied migration; add a new one",
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO senso.schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration)
            with conn.transaction():
                # Generated from the one product-table definition, so always the same shape.
                # Only missing tables are created: re-creating an index needs ownership.
                wanted = shadow_tables() + (reconstruction_tables(db.tables) if owned else [])
                for physical, logical in wanted:
                    if _missing(conn, physical):
                        schema = physical.rpartition(".")[0]
                        if schema:
                            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}".encode())
                        conn.execute(create_table_sql(physical, logical).encode())
                if owned:
                    conn.execute(
                        "INSERT INTO senso.ownership (mode) VALUES ('owned') "
                        "ON CONFLICT (singleton) DO NOTHING"
                    )
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now


def _missing(conn: psycopg.Connection[Any], physical: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) AS t", (physical,)).fetchone()
    return row is None or row["t"] is None


def resolve_mode(conn: psycopg.Connection[Any], tables: Tables, mode: str = "auto") -> str:
    """ "owned" or "external" for this database (see apply_migrations)."""
    if mode in ("owned", "external"):
        return mode
    if mode != "auto":
        raise InvalidInputError(
            f"unknown database mode {mode!r}", hint="use owned, external or auto"
        )
    if is_owned(conn):
        return "owned"
    row = conn.execute("SELECT to_regclass(%s) AS t", (tables.orgs,)).fetchone()
    return "external" if row and row["t"] is not None else "owned"


def is_owned(conn: psycopg.Connection[Any]) -> bool:
    """Whether senso built this database's product tables (and may write orgs and credits)."""
    row = conn.execute("SELECT to_regclass('senso.ownership') AS t").fetchone()
    if not row or row["t"] is None:
        return False
    return conn.execute("SELECT 1 FROM senso.ownership").fetchone() is not None


def require_owned(conn: psycopg.Connection[Any], action: str) -> None:
    """Refuse a write of product data (orgs, credits) in external mode: the product owns it."""
    if not is_owned(conn):
        raise InvalidInputError(
            f"{action} is refused: this database's product tables belong to the product "
            "(external mode), and senso never writes orgs or credits there",
            hint="change orgs and credits in the product itself (senso-api); "
            "`senso db check` shows what senso reads",
        )


def _refuse_old_layout(conn: psycopg.Connection[Any]) -> None:
    """senso's first layout kept its own tables among the product's (batch_cells in public)."""
    row = conn.execute("SELECT to_regclass('public.batch_cells') AS t").fetchone()
    if row and row["t"] is not None:
        raise DatabaseError(
            "this database has senso's old layout (its own tables among the product's)",
            hint="start from a new database: `senso db stop`, delete the data directory "
            "`senso db status` shows, or point SENSO_DATABASE_URL elsewhere",
        )


def applied_versions(db: Database) -> list[int]:
    """Versions recorded as applied (empty when the table does not exist yet)."""
    with db.connect(autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('senso.schema_migrations') AS t").fetchone()
        if not exists or exists["t"] is None:
            return []
        rows = conn.execute(
            "SELECT version FROM senso.schema_migrations ORDER BY version"
        ).fetchall()
        return [row["version"] for row in rows]
