"""The old system's weaknesses are impossible in the schema itself."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from handlers.db.database import Database
from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file
from handlers.repositories.orgs import OrgRepository


@pytest.fixture
def demo(db: Database) -> uuid.UUID:
    import_orgs(db, load_org_file(demo_org_path()))
    return OrgRepository(db).get("demo").org_id


def _batch(
    conn: psycopg.Connection, org_id: uuid.UUID, orchestrator: str = "step_functions"
) -> uuid.UUID:
    batch_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO question_run_batches (batch_id, org_id, batch_day, orchestrator) "
        "VALUES (%s, %s, DATE '2026-11-29', %s)",
        (batch_id, org_id, orchestrator),
    )
    return batch_id


def test_one_batch_per_org_per_day_per_orchestrator(db: Database, demo: uuid.UUID) -> None:
    with db.transaction() as conn:
        _batch(conn, demo)
        _batch(conn, demo, "inngest")  # a shadow run on the other orchestrator is allowed
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction() as conn:
        _batch(conn, demo)


def test_one_question_run_per_cell(db: Database, demo: uuid.UUID) -> None:
    details = OrgRepository(db).get("demo")
    q, m, loc = details.questions[0], details.models[0], details.locations[0]

    def insert(conn: psycopg.Connection, batch_id: uuid.UUID) -> None:
        conn.execute(
            """INSERT INTO question_runs (question_run_id, batch_id, org_id, question_id, model_id,
                   location_id, status, run_model, run_country, response_text)
               VALUES (%s, %s, %s, %s, %s, %s, 'completed', 'gpt-4.1', 'US', 'answer')""",
            (uuid.uuid4(), batch_id, demo, q.question_id, m.model_id, loc.location_id),
        )

    with db.transaction() as conn:
        batch_id = _batch(conn, demo)
        insert(conn, batch_id)
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction() as conn:
        insert(conn, batch_id)


def test_one_ledger_entry_per_source_and_org(db: Database, demo: uuid.UUID) -> None:
    row = ("question_run", "run-1")
    partner = OrgRepository(db).get("demo").partner_id

    def insert(conn: psycopg.Connection) -> None:
        conn.execute(
            """INSERT INTO credit_ledger (entry_id, org_id, partner_id, payer_type, payer_id,
                   amount, source_type, source_id) VALUES (%s, %s, %s, 'ORG', %s, -0.05, %s, %s)""",
            (uuid.uuid4(), demo, partner, demo, *row),
        )

    with db.transaction() as conn:
        insert(conn)
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction() as conn:
        insert(conn)


def test_failed_batch_must_carry_an_error(db: Database, demo: uuid.UUID) -> None:
    with pytest.raises(psycopg.errors.CheckViolation), db.transaction() as conn:
        batch_id = _batch(conn, demo)
        conn.execute(
            "UPDATE question_run_batches SET status = 'failed' WHERE batch_id = %s", (batch_id,)
        )


def test_only_one_latest_batch_per_org(db: Database, demo: uuid.UUID) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction() as conn:
        first, second = _batch(conn, demo), _batch(conn, demo, "inngest")
        conn.execute(
            "UPDATE question_run_batches SET is_latest = true WHERE batch_id = ANY(%s)",
            ([first, second],),
        )


def test_counters_are_derived_from_runs(db: Database, demo: uuid.UUID) -> None:
    details = OrgRepository(db).get("demo")
    with db.transaction() as conn:
        batch_id = _batch(conn, demo)
        for i, status in enumerate(["completed", "completed", "failed"]):
            conn.execute(
                """INSERT INTO question_runs (question_run_id, batch_id, org_id, question_id,
                       model_id, location_id, status, failure_reason, run_model, run_country,
                       response_text)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'm', 'US', 'x')""",
                (
                    uuid.uuid4(),
                    batch_id,
                    demo,
                    details.questions[i].question_id,
                    details.models[0].model_id,
                    details.locations[0].location_id,
                    status,
                    "boom" if status == "failed" else None,
                ),
            )
        progress = conn.execute(
            "SELECT completed_cells, failed_cells FROM batch_progress WHERE batch_id = %s",
            (batch_id,),
        ).fetchone()
    assert progress == {"completed_cells": 2, "failed_cells": 1}
    assert Decimal(details.balance) == Decimal(250)
