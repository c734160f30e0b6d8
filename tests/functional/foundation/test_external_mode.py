"""External mode: senso on a product database it does not own, with no constraint to lean on.

The database is built the way the old system left it (product tables only, no primary or
unique key, no senso schema). senso migrates only its own schema, and its exactly-once keys in
that schema keep one batch per org and day, one run per cell and one ledger row per charge.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.db.migrate import apply_migrations, is_owned
from handlers.errors import InvalidInputError
from handlers.runtime import WorkflowServices
from handlers.workflow import run_inline
from tests.billable import billable_services
from tests.fakes.openai_server import FakeOpenAIServer
from tests.functional.steps.conftest import make_services
from tests.product_db import (
    balances,
    build_product_tables,
    product_row_counts,
    product_schema_dump,
    seed_product_org,
)
from tests.reliability.invariants import check_invariants


def _scalar(db: Database, sql: str, *params: object) -> object:
    with db.connect() as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return next(iter(row.values()))


def test_migrate_touches_only_senso_schema(empty_db: Database) -> None:
    build_product_tables(empty_db)
    before = product_schema_dump(empty_db)
    apply_migrations(empty_db)
    apply_migrations(empty_db)
    assert product_schema_dump(empty_db) == before
    with empty_db.connect() as conn:
        assert not is_owned(conn)
        assert conn.execute("SELECT to_regclass('senso.cell_runs') AS t").fetchone()["t"]


def test_an_org_evaluates_end_to_end(
    external_db: Database, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    org_id = seed_product_org(external_db)
    services = billable_services(tmp_path, billable_server)
    try:
        state = run_inline(external_db, {"org_id": str(org_id)}, services=services)
    finally:
        services.close()
    assert state["completion"]["completed"] == 12
    batch = state["batch"]["batch_id"]
    assert _scalar(
        external_db,
        "SELECT completed_questions FROM question_run_batches WHERE batch_id = %s",
        batch,
    ) == 12
    assert _scalar(external_db, "SELECT count(*) FROM question_runs WHERE is_latest") == 12
    check_invariants(external_db)


def test_ten_racing_workflows_make_one_batch_and_charge_each_cell_once(
    external_db: Database, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    org_id = seed_product_org(external_db)
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def trigger(i: int) -> None:
        services = billable_services(tmp_path / str(i), billable_server)
        try:
            barrier.wait()
            run_inline(
                external_db,
                {"org_id": str(org_id)},
                services=services,
                execution_id=f"racer-{i}",
            )
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            services.close()

    threads = [threading.Thread(target=trigger, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _scalar(external_db, "SELECT count(*) FROM question_run_batches") == 1
    assert _scalar(external_db, "SELECT count(*) FROM question_runs") == 12
    assert _scalar(
        external_db, "SELECT count(*) FROM credit_ledger WHERE source_type = 'question_run'"
    ) == 12
    check_invariants(external_db)
    assert _scalar(
        external_db, "SELECT current_balance FROM credit_balances WHERE org_id = %s", org_id
    ) == Decimal("99.4")


def test_track_usage_racing_itself_charges_once(
    external_db: Database, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    org_id = seed_product_org(external_db)
    services = billable_services(tmp_path, billable_server)
    try:
        state = run_inline(external_db, {"org_id": str(org_id)}, services=services)
    finally:
        services.close()
    barrier = threading.Barrier(5)

    def replay() -> None:
        barrier.wait()
        run_step("TrackUsage", state, db=external_db)

    threads = [threading.Thread(target=replay) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _scalar(
        external_db, "SELECT count(*) FROM credit_ledger WHERE source_type = 'question_run'"
    ) == 12
    check_invariants(external_db)


def test_deleted_org_is_refused_as_invalid_input(external_db: Database) -> None:
    org_id = seed_product_org(external_db, deleted=True)
    with pytest.raises(InvalidInputError, match="was deleted"):
        run_step("GetOrCreateBatch", {"org_id": str(org_id)}, db=external_db)
    assert _scalar(external_db, "SELECT count(*) FROM question_run_batches") == 0


def _complete_day(db: Database, org_id: uuid.UUID, day: date, services: WorkflowServices) -> str:
    state = run_inline(db, {"org_id": str(org_id), "batch_day": day.isoformat()}, services=services)
    return str(state["batch"]["batch_id"])


def test_latest_is_the_newest_completed_batch_day(external_db: Database, tmp_path: Path) -> None:
    org_id = seed_product_org(external_db)
    services = make_services(tmp_path)
    try:
        newer = _complete_day(external_db, org_id, date(2026, 11, 20), services)
        # A backfill (or a redrive) of an older day completes later but never hides the newer.
        older = _complete_day(external_db, org_id, date(2026, 11, 10), services)
    finally:
        services.close()
    latest = {
        str(row["batch_id"]): row["is_latest"]
        for row in _rows(external_db, "SELECT batch_id, is_latest FROM question_run_batches")
    }
    assert latest == {newer: True, older: False}
    latest_runs = _scalar(
        external_db,
        "SELECT count(DISTINCT batch_id) FROM question_runs WHERE is_latest",
    )
    assert latest_runs == 1
    assert _scalar(
        external_db, "SELECT count(*) FROM question_runs WHERE is_latest AND batch_id = %s",
        uuid.UUID(newer),
    ) == 12


def test_a_failed_batch_never_becomes_latest(external_db: Database, tmp_path: Path) -> None:
    org_id = seed_product_org(external_db)
    services = make_services(tmp_path)
    try:
        good = _complete_day(external_db, org_id, date(2026, 11, 20), services)
    finally:
        services.close()
    batch = run_step(
        "GetOrCreateBatch", {"org_id": str(org_id), "batch_day": "2026-11-21"}, db=external_db
    )
    payload = {"org_id": str(org_id), "batch": batch, "error": {"Error": "X", "Cause": "y"}}
    assert run_step("MarkBatchFailed", payload, db=external_db)["recorded"]
    rows = _rows(external_db, "SELECT batch_id, status, is_latest FROM question_run_batches")
    assert {(str(r["batch_id"]), r["status"], r["is_latest"]) for r in rows} == {
        (good, "completed", True),
        (batch["batch_id"], "failed", False),
    }


def _rows(db: Database, sql: str) -> list[dict[str, object]]:
    with db.connect() as conn:
        return list(conn.execute(sql).fetchall())


def test_shadow_run_changes_nothing_the_product_owns(
    external_db: Database, tmp_path: Path, billable_server: FakeOpenAIServer
) -> None:
    org_id = seed_product_org(external_db)
    counts, money = product_row_counts(external_db), balances(external_db)
    services = billable_services(tmp_path, billable_server)
    try:
        state = run_inline(
            external_db, {"org_id": str(org_id), "shadow": True}, services=services
        )
    finally:
        services.close()
    assert state["completion"]["completed"] == 12 and state["usage"]["charged_cells"] == 12
    assert product_row_counts(external_db) == counts
    assert balances(external_db) == money
    assert _scalar(external_db, "SELECT count(*) FROM senso.shadow_question_runs") == 12
    assert _scalar(external_db, "SELECT count(*) FROM senso.shadow_credit_ledger") == 12


def test_db_check_names_a_missing_column_and_exits_1(
    external_db: Database, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from senso_cli.app import app

    monkeypatch.setenv("SENSO_DATABASE_URL", external_db.url)
    runner = CliRunner()
    ok = runner.invoke(app, ["db", "check"])
    assert ok.exit_code == 0, ok.output
    with external_db.connect(autocommit=True) as conn:
        conn.execute("ALTER TABLE question_runs DROP COLUMN run_region")
        conn.execute("ALTER TABLE org_evals ALTER COLUMN mentioned TYPE text")
    before = product_schema_dump(external_db)
    bad = runner.invoke(app, ["db", "check", "--json"])
    assert bad.exit_code == 1
    import json

    problems = json.loads(bad.stdout)["problems"]
    assert {(p["table"], p["column"], p["problem"]) for p in problems} == {
        ("question_runs", "run_region", "missing_column"),
        ("org_evals", "mentioned", "incompatible_type"),
    }
    text = runner.invoke(app, ["db", "check"])
    assert text.exit_code == 1 and "question_runs.run_region: column missing" in text.output
    assert product_schema_dump(external_db) == before  # read-only


def test_credits_grant_is_refused_in_external_mode(
    external_db: Database, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from senso_cli.app import app

    org_id = seed_product_org(external_db)
    monkeypatch.setenv("SENSO_DATABASE_URL", external_db.url)
    counts = product_row_counts(external_db)
    result = CliRunner().invoke(app, ["credits", "grant", str(org_id), "5", "--reason", "x"])
    assert result.exit_code == 2 and "credits grant is refused" in result.output
    assert product_row_counts(external_db) == counts


def test_trigger_of_a_deleted_org_exits_2(
    external_db: Database, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from senso_cli.app import app

    org_id = seed_product_org(external_db, deleted=True)
    monkeypatch.setenv("SENSO_DATABASE_URL", external_db.url)
    result = CliRunner().invoke(app, ["trigger", "--org", str(org_id), "--target", "sfn"])
    assert result.exit_code == 2 and "was deleted" in result.output
    assert product_row_counts(external_db)["question_run_batches"] == 0


def test_a_product_database_with_other_table_names_runs_through_the_table_map(
    empty_db: Database,
    senso_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    billable_env: FakeOpenAIServer,
) -> None:
    """Names domain.md marks [I] mapped in configuration only: db check, db migrate, a trigger
    and a scheduled trigger-batch read and write the product's own names."""
    import json

    from typer.testing import CliRunner

    from handlers.db.tables import Tables
    from senso_cli.app import app

    mapping = {"credit_ledger": "billing.credit_entries", "org_schedules": "org_schedule"}
    tables = Tables.from_mapping(mapping)
    with empty_db.connect(autocommit=True) as conn:
        conn.execute("CREATE SCHEMA billing")
    build_product_tables(empty_db, tables)
    org_id = seed_product_org(empty_db, schedule=(0,), tables=tables)
    monkeypatch.setenv("SENSO_DATABASE_URL", empty_db.url)
    runner = CliRunner()
    unmapped = runner.invoke(app, ["db", "check", "--json"])
    assert unmapped.exit_code == 1
    missing = {(p["table"], p["problem"]) for p in json.loads(unmapped.stdout)["problems"]}
    assert missing == {("credit_ledger", "missing_table"), ("org_schedules", "missing_table")}

    monkeypatch.setenv("SENSO_TABLES_JSON", json.dumps(mapping))
    checked = runner.invoke(app, ["db", "check"])
    assert checked.exit_code == 0, checked.output
    before = product_schema_dump(empty_db)
    assert runner.invoke(app, ["db", "migrate"]).exit_code == 0
    assert product_schema_dump(empty_db) == before

    started = runner.invoke(
        app, ["trigger-batch", "--schedule-day", "monday", "--target", "sfn", "--json"]
    )
    assert started.exit_code == 0, started.output
    assert [i["outcome"] for i in json.loads(started.stdout)["items"]] == ["started"]
    charges = _scalar(
        empty_db,
        "SELECT count(*) FROM billing.credit_entries WHERE source_type = 'question_run'",
    )
    assert charges == 12
    assert _scalar(
        empty_db, "SELECT current_balance FROM credit_balances WHERE org_id = %s", org_id
    ) == Decimal("99.4")
    check_invariants(Database(empty_db.url, tables=tables))
