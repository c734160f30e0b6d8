"""Synthetic batches written straight into the tables, for the compare and rollout tests.

Every cell's results are a pure function of its (question, model, location) position, so two
orchestrators given the same org and day produce identical batches unless a test injects a
difference (a dropped model, a failed cell, another sentiment). An `inngest` batch is written
as the old system leaves it (product rows only; a failed cell is a placeholder run); a
`step_functions` batch also has senso's rows (its key in senso.batches, its cells in
senso.cell_runs; a failed cell has no product run).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import psycopg

from handlers.db.database import Database
from handlers.providers.base import PLACEHOLDER_TEXT

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
            "INSERT INTO orgs (org_id, name, partner_id) VALUES (%s, %s, %s)",
            (org_id, slug.title(), partner_id),
        )
        conn.execute(
            "INSERT INTO senso.org_aliases (slug, org_id) VALUES (%s, %s)", (slug, org_id)
        )
        for position in range(questions):
            question_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO geo_questions (geo_question_id, org_id, question_text, created_at) "
                "VALUES (%s, %s, %s, now() + %s * interval '1 second')",
                (question_id, org_id, f"Question {position} about {slug}?", position),
            )
            org.questions.append(question_id)
        for position, name in enumerate(models):
            model_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO geo_models (geo_model_id, org_id, name, created_at) "
                "VALUES (%s, %s, %s, now() + %s * interval '1 second')",
                (model_id, org_id, name, position),
            )
            org.models.append((model_id, name))
        location_id = uuid.uuid4()
        conn.execute(
            "INSERT INTO org_locations (org_location_id, org_id, country_code) "
            "VALUES (%s, %s, 'US')",
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
    senso = orchestrator == "step_functions"
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO question_run_batches (batch_id, org_id, status, total_questions, "
            "created_at, started_at, completed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                batch_id,
                org.org_id,
                status,
                len(cells),
                started,
                started,
                started + duration if status == "completed" else None,
            ),
        )
        if senso:
            conn.execute(
                "INSERT INTO senso.batches (batch_id, org_id, batch_day, error_name) "
                "VALUES (%s, %s, %s, %s)",
                (batch_id, org.org_id, day, "Senso.Test" if status == "failed" else None),
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
                senso=senso,
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
    senso: bool,
) -> None:
    run_id = uuid.uuid4()
    if senso:
        conn.execute(
            "INSERT INTO senso.cell_runs (batch_id, geo_question_id, model_id, location_id, "
            "question_run_id, status, failure_reason) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                batch_id,
                question_id,
                model_id,
                location_id,
                None if failed else run_id,
                "failed" if failed else "completed",
                "provider error" if failed else None,
            ),
        )
        if failed:
            return
    conn.execute(
        "INSERT INTO question_runs (question_run_id, batch_id, geo_question_id, model_id, "
        "location_id, run_model, run_country, response_text) "
        "VALUES (%s, %s, %s, %s, %s, %s, 'US', %s)",
        (
            run_id,
            batch_id,
            question_id,
            model_id,
            location_id,
            model_name,
            PLACEHOLDER_TEXT if failed else "a" * 100,
        ),
    )
    if failed:
        return
    mentioned = (qi + mi) % 2 == 0
    conn.execute(
        "INSERT INTO org_evals (org_eval_id, question_run_id, org_id, mentioned, citation, "
        "sentiment, mention_text, mention_rank) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            uuid.uuid4(),
            run_id,
            org.org_id,
            mentioned,
            mentioned and qi % 3 == 0,
            SENTIMENTS[(qi + sentiment_shift) % 3] if mentioned else None,
            # SOV is bytes of the mention over bytes of the 100-byte answer: 10 + qi %.
            "m" * (10 + qi) if mentioned else None,
            1 + qi % 3 if mentioned else None,
        ),
    )
    for position in range(qi % 3):
        conn.execute(
            "INSERT INTO org_competitors (org_competitor_id, question_run_id, org_id, name) "
            "VALUES (%s, %s, %s, %s)",
            (uuid.uuid4(), run_id, org.org_id, f"Rival {position}"),
        )
    conn.execute(
        "INSERT INTO credit_ledger (entry_id, org_id, partner_id, payer_type, amount, "
        "source_type, source_id, metadata) VALUES (%s, %s, %s, 'ORG', -0.05, "
        "'question_run', %s, %s)",
        (
            uuid.uuid4(),
            org.org_id,
            org.partner_id,
            str(run_id),
            json.dumps({"batch_id": str(batch_id)}),
        ),
    )
