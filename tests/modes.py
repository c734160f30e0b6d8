"""Both database modes for the end-to-end flow tests, as an operator meets them.

`operator` (a fixture in tests/conftest.py, parametrised `owned` / `external`) points the CLI at
a fresh database with one org ready to evaluate:

- owned: senso's own database (migrated from the test template), filled by `senso dev seed`;
  the org is `demo` (20 questions x 3 models x 2 locations);
- external: a product database the way the old system left it (product tables only, no
  primary or unique key, no senso schema), migrated by `senso db migrate` (which must leave a
  dump of the product tables unchanged), and an org written with plain INSERTs as senso-api
  would; the operator names it by its id (3 questions x 2 models x 2 locations).

The external template is built once per session that way and cloned per test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from handlers.db.database import Database

Mode = Literal["owned", "external"]
MODES: tuple[Mode, ...] = ("owned", "external")
EXTERNAL_TEMPLATE_DB = "senso_test_external_template"
# What one billable cell costs the payer (answer + mention check + competitors, with the
# default margin): the demo org's 120 cells cost 6.00. Simulated cells are free.
CELL_CREDITS = Decimal("0.05")


@dataclass(frozen=True)
class Operator:
    """The CLI pointed at `db` (SENSO_DATABASE_URL) in `mode`, with one org to evaluate."""

    mode: Mode
    db: Database
    org: str  # what the operator types after --org
    org_id: uuid.UUID
    cells: int  # the org's matrix: questions x models x locations
    credits: Decimal  # the org's balance before anything ran

    @property
    def external(self) -> bool:
        return self.mode == "external"

    @property
    def credits_per_run(self) -> Decimal:
        return CELL_CREDITS * self.cells

    def scalar(self, sql: str, *params: object) -> Any:
        with self.db.connect() as conn:
            row = conn.execute(sql, params).fetchone()
        assert row is not None
        return next(iter(row.values()))

    def batches(self) -> list[tuple[str, bool]]:
        """(status, is_latest) of every product batch, oldest first."""
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT status, is_latest FROM {self.db.tables.question_run_batches} "  # noqa: S608
                "ORDER BY created_at"
            ).fetchall()
        return [(str(r["status"]), bool(r["is_latest"])) for r in rows]

    def runs(self, *, latest: bool = False) -> int:
        """How many question runs the product table holds (only latest ones with `latest`)."""
        where = " WHERE is_latest" if latest else ""
        return int(
            self.scalar(f"SELECT count(*) FROM {self.db.tables.question_runs}{where}")  # noqa: S608
        )

    def ledger_charges(self) -> tuple[int, Decimal]:
        """How many question-run charges the product ledger holds, and their total."""
        with self.db.connect() as conn:
            row = conn.execute(
                f"SELECT count(*) AS n, coalesce(-sum(amount), 0) AS total "  # noqa: S608
                f"FROM {self.db.tables.credit_ledger} WHERE source_type = 'question_run'"
            ).fetchone()
        assert row is not None
        return int(row["n"]), Decimal(row["total"])

    def balance(self) -> Decimal:
        return Decimal(
            self.scalar(
                f"SELECT current_balance FROM {self.db.tables.credit_balances} "  # noqa: S608
                "WHERE org_id = %s",
                self.org_id,
            )
        )


def clone(server_url: str, template: str) -> Database:
    name = f"m_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(make_conninfo(server_url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return Database(make_conninfo(server_url, dbname=name))


def drop(db: Database, server_url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(db.url)["dbname"]
    with psycopg.connect(make_conninfo(server_url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_external_template(server_url: str, runner: CliRunner, home: Path) -> str:
    """The product tables as the old system left them, then `senso db migrate` on them."""
    from senso_cli.app import app
    from tests.product_db import build_product_tables, product_schema_dump

    admin = make_conninfo(server_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{EXTERNAL_TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{EXTERNAL_TEMPLATE_DB}"')
    db = Database(make_conninfo(server_url, dbname=EXTERNAL_TEMPLATE_DB))
    build_product_tables(db)
    with db.connect() as conn:
        schemas = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname = 'senso'")
        assert schemas.fetchall() == [], "the old system's database has no senso schema"
    before = product_schema_dump(db)
    environ = {"SENSO_DATABASE_URL": db.url, "SENSO_HOME": str(home)}
    result = runner.invoke(app, ["db", "migrate"], env=environ)
    assert result.exit_code == 0, result.output
    assert "applied" in result.output
    assert product_schema_dump(db) == before, "db migrate changed a product table"
    return EXTERNAL_TEMPLATE_DB


def operator_for(mode: Mode, db: Database, runner: CliRunner) -> Operator:
    """One org ready in `db`, written the way each mode gets its orgs."""
    from handlers.repositories.orgs import OrgRepository
    from senso_cli.app import app
    from tests.product_db import seed_product_org

    if mode == "owned":
        seeded = runner.invoke(app, ["dev", "seed"])
        assert seeded.exit_code == 0, seeded.output
        org_id = OrgRepository(db).get("demo").org_id
        return Operator(mode, db, "demo", org_id, cells=120, credits=Decimal(250))
    # Scheduled Monday and Thursday, like the demo org.
    org_id = seed_product_org(db, credits=Decimal(100), schedule=(0, 3))
    return Operator(mode, db, str(org_id), org_id, cells=12, credits=Decimal(100))


def old_system_writes_its_batch(operator: Operator, day: date) -> None:
    """In external mode the old system writes its batch of the day by itself, on its own
    schedule; the stand-in's code (the Go code's writes) plays it, called directly, because
    senso refuses to run the stand-in on a product database."""
    from handlers.runtime import build_services
    from senso_cli.services.legacy_standin import run_legacy
    from senso_cli.settings import load_settings

    services = build_services(load_settings().settings)  # this test's environment
    try:
        run_legacy(operator.db, services, operator.org_id, day)
    finally:
        services.close()


def inngest_config(event_key: str, url: str) -> str:
    """The config-file section that sends the Inngest side's events to `url`."""
    return (
        f'[inngest]\nevent_key = "{event_key}"\nevent_api_url = "{url}"\napi_url = "{url}"\n'
    )
