"""Synthetic batches written straight into the schema, for the compare and rollout tests.

Every cell's results are a pure function of its (question, model, location) position, so two
orchestrators given the same org and day produce identical batches unless a test injects a
difference (a dropped model, a failed cell, another sentiment).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import psycopg

from handlers.db.database import Database

SENTIMENTS = ("positive", "neutral", "negative")


@dataclass
class SyntheticOrg:
    org_id: uuid.UUID
    slug: str
    partner_id: uuid.UUID
    questions: list[uuid.UUID] = field(default_factory=list)
    models: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    locations: list[uuid.UUID] = field(default_factory=list)


def make_org(
    db: Database, slug: str, *, questions: int = 4, models: tuple[str, ...] = ("gpt-4.1", "claude")
) -> SyntheticOrg:
    partner_id, org_id = uuid.uuid4(), uuid.uuid4()
    org = SyntheticOrg(org_id, slug, partner_id)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO partners (partner_id, slug, name) VALUES (%s, %s, %s)",
            (partner_id, f"p-{slug}", f"Partner {slug}"),
        )
        conn.execute(
            "INSERT INTO orgs (org_id, slug, name, partner_id) VALUES (%s, %s, %s, %s)",
            (org_id, slug, slug.title(), partner_id),
        )
        for position in range(questions):
            question_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO geo_questions (question_id, org_id, question_text, position) "
                "VALUES (%s, %s, %s, %s)",
                (question_id, org_id, f"Question {position} about {slug}?", position),
            )
            org.questions.append(question_id)
        for position, name in enumerate(models):
            model_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO geo_models (model_id, org_id, name, position) VALUES (%s, %s, %s, %s)",
                (model_id, org_id, name, position),
            )
            org.models.append((model_id, name))
        location_id = uuid.uuid4()
        conn.execute(
            "INSERT INTO org_locations (location_id, org_id, country_code, position) "
            "VALUES (%s, %s, 'US', 0)",
            (location_id, org_id),
        )
        org.locations.append(location_id)
    return org


def write_batch(
    db: Database,
    org: SyntheticOrg,
    day: date,
    orchestrator: str,
    *,
    drop_model: str | None = None,
    skip: frozenset[tuple[int, int]] = frozenset(),
    fail_cells: int = 0,
    sentiment_shift: int = 0,
    duration: timedelta = timedelta(minutes=5),
    status: str = "completed",
    started_at: datetime | None = None,
) -> uuid.UUID:
    """One batch with its runs, evaluations, competitors and ledger entries."""
    batch_id = uuid.uuid4()
    started = started_at or datetime.combine(day, time(2, 0), tzinfo=timezone.utc)  # noqa: UP017
    cells = [
        (q, qi, m, name, mi, loc)
        for mi, (m, name) in enumerate(org.models)
        for qi, q in enumerate(org.questions)
        for loc in org.locations
    ]
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO question_run_batches (batch_id, org_id, batch_day, orchestrator, status, "
            "total_cells, started_at, completed_at, error_name) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                batch_id,
                org.org_id,
                day,
                orchestrator,
                status,
                len(cells),
                started,
                started + duration if status == "completed" else None,
                "Senso.Test" if status == "failed" else None,
            ),
        )
        failed_so_far = 0
        for question_id, qi, model_id, model_name, mi, location_id in cells:
            if model_name == drop_model or (qi, mi) in skip:
                continue
            failed = failed_so_far < fail_cells
            failed_so_far += failed
            _write_cell(
                conn,
                org,
                batch_id,
                question_id,
                qi,
                model_id,
                model_name,
                mi,
                location_id,
                failed=failed,
                sentiment_shift=sentiment_shift,
            )
    return batch_id


def _write_cell(
    conn: psycopg.Connection[Any],
    org: SyntheticOrg,
    batch_id: uuid.UUID,
    question_id: uuid.UUID,
    qi: int,
    model_id: uuid.UUID,
    model_name: str,
    mi: int,
    location_id: uuid.UUID,
    *,
    failed: bool,
    sentiment_shift: int,
) -> None:
    run_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO question_runs (question_run_id, batch_id, org_id, question_id, model_id, "
        "location_id, status, failure_reason, run_model, run_country, response_text) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'US', %s)",
        (
            run_id,
            batch_id,
            org.org_id,
            question_id,
            model_id,
            location_id,
            "failed" if failed else "completed",
            "provider error" if failed else None,
            model_name,
            None if failed else f"Answer {qi}/{mi} mentioning {org.slug}",
        ),
    )
    if failed:
        return
    mentioned = (qi + mi) % 2 == 0
    conn.execute(
        "INSERT INTO org_evals (question_run_id, org_id, mentioned, citation, sentiment, "
        "mention_rank, share_of_voice, evaluator) VALUES (%s, %s, %s, %s, %s, %s, %s, 'test')",
        (
            run_id,
            org.org_id,
            mentioned,
            mentioned and qi % 3 == 0,
            SENTIMENTS[(qi + sentiment_shift) % 3] if mentioned else None,
            1 + qi % 3 if mentioned else None,
            10.0 + qi if mentioned else 0,
        ),
    )
    for position in range(qi % 3):
        conn.execute(
            "INSERT INTO org_competitors (question_run_id, org_id, name, position) "
            "VALUES (%s, %s, %s, %s)",
            (run_id, org.org_id, f"Rival {position}", position),
        )
    conn.execute(
        "INSERT INTO credit_ledger (entry_id, org_id, partner_id, payer_type, payer_id, amount, "
        "source_type, source_id, batch_id) VALUES (%s, %s, %s, 'ORG', %s, -0.05, "
        "'question_run', %s, %s)",
        (uuid.uuid4(), org.org_id, org.partner_id, org.org_id, str(run_id), batch_id),
    )
