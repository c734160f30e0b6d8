"""`reevaluate_org`: stored answers evaluated again in place, once, with no provider called."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from handlers.db.database import Database
from handlers.evaluation import build_evaluator_components
from handlers.reevaluate import reevaluate_org
from handlers.workflow import run_inline
from tests.billable import billable_services
from tests.fakes.openai_server import FakeOpenAIServer


def _rows(db: Database, sql: str, *params: object) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return list(conn.execute(sql, params).fetchall())


def _billing(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ledger = _rows(db, "SELECT entry_id, amount, source_id FROM credit_ledger ORDER BY entry_id")
    balances = _rows(db, "SELECT org_id, partner_id, current_balance FROM credit_balances")
    return ledger, balances


def _legacy_damage(db: Database) -> None:
    # What the old pipeline stored: rank hard-coded 1, citation never set, a raw model label.
    with db.transaction() as conn:
        conn.execute("UPDATE org_evals SET mention_rank = 1, citation = false WHERE mentioned")
        conn.execute("UPDATE org_evals SET sentiment = 'Positive' WHERE mentioned")


def _answer(_: dict[str, Any]) -> str:
    return "1. **First Federal** has low rates.\n2. **Acme Credit Union** is well rated."


@pytest.fixture
def stored(db: Database, org_id: UUID, tmp_path: Path) -> Iterator[UUID]:
    # Billable answers (simulated ones are free), so "billing unchanged" covers charge rows.
    with FakeOpenAIServer(answer=_answer) as server:
        services = billable_services(tmp_path, server)
        state = run_inline(db, {"org_id": str(org_id)}, services=services)
        services.close()
    assert state["matrix"]["completed"] == 12 and state["usage"]["charged_cells"] == 12
    yield org_id


def test_reevaluation_updates_in_place_once_without_providers_or_billing(
    db: Database, stored: UUID
) -> None:
    generator, verifier, extractor = build_evaluator_components(None, None)
    since = datetime.now(UTC) - timedelta(days=7)
    before_ids = _rows(db, "SELECT org_eval_id, question_run_id FROM org_evals ORDER BY 1")
    runs_before = _rows(db, "SELECT * FROM question_runs ORDER BY question_run_id")
    billing_before = _billing(db)
    fresh = reevaluate_org(
        db, "acme", since, generator=generator, verifier=verifier, extractor=extractor
    )
    # Re-evaluating what the current evaluator stored changes nothing.
    assert fresh.examined == 12 and fresh.changed == 0

    _legacy_damage(db)
    mentioned = len(_rows(db, "SELECT 1 FROM org_evals WHERE mentioned"))
    assert mentioned > 0
    dry = reevaluate_org(
        db,
        "acme",
        since,
        generator=generator,
        verifier=verifier,
        extractor=extractor,
        dry_run=True,
    )
    assert dry.changed == mentioned and dry.written == 0
    assert (
        _rows(db, "SELECT count(*) AS n FROM org_evals WHERE sentiment = 'Positive'")[0]["n"]
        == mentioned
    )

    first = reevaluate_org(
        db, "acme", since, generator=generator, verifier=verifier, extractor=extractor
    )
    assert first.changed == mentioned and first.written == mentioned
    assert first.changed_by_metric["sentiment"] == mentioned
    change = first.runs[0].changes
    assert {c.metric for c in change} >= {"sentiment"}
    assert any(c.before == "Positive" for c in change)
    # Updated in place: the same eval rows (ids), the same runs, billing untouched.
    assert _rows(db, "SELECT org_eval_id, question_run_id FROM org_evals ORDER BY 1") == before_ids
    assert _rows(db, "SELECT * FROM question_runs ORDER BY question_run_id") == runs_before
    assert _billing(db) == billing_before
    assert not _rows(db, "SELECT 1 FROM org_evals WHERE sentiment = 'Positive'")

    second = reevaluate_org(
        db, "acme", since, generator=generator, verifier=verifier, extractor=extractor
    )
    assert second.examined == 12 and second.changed == 0 and second.written == 0
    assert _billing(db) == billing_before


def test_answers_before_since_are_left_alone(db: Database, stored: UUID) -> None:
    generator, verifier, extractor = build_evaluator_components(None, None)
    _legacy_damage(db)
    later = datetime.now(UTC) + timedelta(minutes=1)
    report = reevaluate_org(
        db, "acme", later, generator=generator, verifier=verifier, extractor=extractor
    )
    assert report.examined == 0 and report.changed == 0
    assert _rows(db, "SELECT 1 FROM org_evals WHERE sentiment = 'Positive'")


def test_an_unknown_org_is_bad_input(db: Database) -> None:
    from handlers.errors import InvalidInputError

    generator, verifier, extractor = build_evaluator_components(None, None)
    with pytest.raises(InvalidInputError):
        reevaluate_org(
            db,
            "nobody",
            datetime.now(UTC),
            generator=generator,
            verifier=verifier,
            extractor=extractor,
        )
