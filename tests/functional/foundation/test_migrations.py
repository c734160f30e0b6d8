"""Migrations apply from empty, once, and never concurrently."""

from __future__ import annotations

import subprocess
import sys

from handlers.db.database import Database
from handlers.db.migrate import applied_versions, apply_migrations, available_migrations


def test_migrations_apply_from_empty_and_are_recorded(empty_db: Database) -> None:
    applied = apply_migrations(empty_db)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert applied_versions(empty_db) == [m.version for m in available_migrations()]
    with empty_db.connect() as conn:
        tables = {
            row["table_name"]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    assert {"orgs", "question_run_batches", "question_runs", "credit_ledger"} <= tables


def test_second_run_applies_nothing(empty_db: Database) -> None:
    apply_migrations(empty_db)
    assert apply_migrations(empty_db) == []


def test_two_processes_migrating_at_once_apply_each_migration_once(empty_db: Database) -> None:
    script = (
        "import sys; from handlers.db.database import Database;"
        "from handlers.db.migrate import apply_migrations;"
        "print(len(apply_migrations(Database(sys.argv[1]))))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_db.url], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    counts = sorted(int(p.communicate(timeout=60)[0].strip()) for p in procs)
    assert all(p.returncode == 0 for p in procs)
    # One process applied everything, the other waited on the advisory lock and found nothing.
    assert counts == [0, len(available_migrations())]
    with empty_db.connect() as conn:
        rows = conn.execute("SELECT count(*) AS n FROM senso.schema_migrations").fetchone()
    assert rows is not None and rows["n"] == len(available_migrations())
