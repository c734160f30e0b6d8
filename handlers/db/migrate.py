"""Versioned SQL migrations, applied in order and recorded in `schema_migrations`.

Two processes may start at once (the CLI and a step handler, or ten triggers): a session-level
advisory lock serialises them, and the second finds nothing left to apply.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

from handlers.db.database import Database
from handlers.errors import DatabaseError

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


def apply_migrations(db: Database) -> list[Migration]:
    """Apply every pending migration; returns the ones this call applied."""
    applied_now: list[Migration] = []
    with db.connect(autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        try:
            # Qualified: once schema `senso` exists, a role named senso (the embedded server's)
            # finds "$user" = senso first on its search_path, and an unqualified name would
            # create a second, empty table there and re-apply every migration.
            conn.execute(
                """CREATE TABLE IF NOT EXISTS public.schema_migrations (
                       version    integer PRIMARY KEY,
                       name       text NOT NULL,
                       checksum   text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            rows = conn.execute("SELECT version, checksum FROM public.schema_migrations").fetchall()
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
                        "INSERT INTO public.schema_migrations (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                applied_now.append(migration)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    return applied_now


def applied_versions(db: Database) -> list[int]:
    """Versions recorded as applied (empty when the table does not exist yet)."""
    with db.connect(autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('public.schema_migrations') AS t").fetchone()
        if not exists or exists["t"] is None:
            return []
        rows = conn.execute(
            "SELECT version FROM public.schema_migrations ORDER BY version"
        ).fetchall()
        return [row["version"] for row in rows]
