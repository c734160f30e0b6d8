"""Write one cell's outcome: the run, its evaluation, citations and competitors together.

A completed cell is one transaction, so a crash leaves it either complete or absent (weakness
4). senso's row for the cell (`senso.cell_runs`, keyed by batch, question, model and location)
is claimed first in that transaction: it is inserted, or it replaces a *failed* attempt, and
only then are the product rows written. A completed cell is therefore written once, even when
two workers or a resumed step race on it and the product table has no unique constraint: the
loser's claim finds the cell completed and its transaction writes nothing.

A failed cell writes only senso's row (why it failed); the product sees no run for it, as the
old system's sequential providers left none.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.evaluation import Evaluation
from handlers.providers.base import ProviderAnswer
from handlers.repositories.batches import Cell
from handlers.repositories.stored_evals import insert_citations_and_competitors

_CLAIM = """
INSERT INTO senso.cell_runs (batch_id, geo_question_id, model_id, location_id, question_run_id,
    status, failure_reason, provider, is_placeholder, simulated, share_of_voice, evaluator,
    duration_ms)
VALUES (%(batch_id)s, %(question_id)s, %(model_id)s, %(location_id)s, %(run_id)s, %(status)s,
    %(reason)s, %(provider)s, %(placeholder)s, %(simulated)s, %(sov)s, %(evaluator)s,
    %(duration)s)
ON CONFLICT (batch_id, geo_question_id, model_id, location_id) DO UPDATE
  SET question_run_id = EXCLUDED.question_run_id, status = EXCLUDED.status,
      failure_reason = EXCLUDED.failure_reason, provider = EXCLUDED.provider,
      is_placeholder = EXCLUDED.is_placeholder, simulated = EXCLUDED.simulated,
      share_of_voice = EXCLUDED.share_of_voice, evaluator = EXCLUDED.evaluator,
      duration_ms = EXCLUDED.duration_ms, attempts = senso.cell_runs.attempts + 1,
      updated_at = now()
  WHERE senso.cell_runs.status = 'failed'
RETURNING question_run_id
"""


def _key(batch_id: UUID, cell: Cell) -> dict[str, object]:
    return {
        "batch_id": batch_id,
        "question_id": cell.question_id,
        "model_id": cell.model_id,
        "location_id": cell.location_id,
    }


def write_completed(
    db: Database,
    t: Tables,
    *,
    batch_id: UUID,
    org_id: UUID,
    cell: Cell,
    answer: ProviderAnswer,
    evaluation: Evaluation,
) -> bool:
    """Store a completed cell; False when another writer completed it first."""
    run_id = uuid.uuid4()
    claim = _key(batch_id, cell) | {
        "run_id": run_id,
        "status": "completed",
        "reason": None,
        "provider": answer.provider,
        "placeholder": False,
        "simulated": answer.simulated,
        "sov": evaluation.share_of_voice,
        "evaluator": evaluation.evaluator,
        "duration": round(answer.latency_ms),
    }
    with db.transaction() as conn:
        if conn.execute(_CLAIM, claim).fetchone() is None:
            return False
        # Names come from the validated table map; every value is a parameter.
        conn.execute(
            f"""INSERT INTO {t.question_runs} (question_run_id, geo_question_id, model_id,
                    location_id, response_text, input_tokens, output_tokens, total_cost, batch_id,
                    run_model, run_country, run_region, is_latest, created_at, updated_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, false, now(), now())""",  # noqa: S608
            (
                run_id,
                cell.question_id,
                cell.model_id,
                cell.location_id,
                answer.text,
                answer.input_tokens,
                answer.output_tokens,
                answer.cost_usd,
                batch_id,
                cell.model,
                cell.country_code,
                cell.region_name,
            ),
        )
        verification = evaluation.verification_usage
        conn.execute(
            f"""INSERT INTO {t.org_evals} (org_eval_id, question_run_id, org_id, mentioned,
                    citation, sentiment, mention_text, mention_rank, input_tokens, output_tokens,
                    total_cost)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",  # noqa: S608
            (
                uuid.uuid4(),
                run_id,
                org_id,
                evaluation.mentioned,
                evaluation.citation,
                evaluation.sentiment,
                evaluation.mention_text,
                evaluation.mention_rank,
                verification.input_tokens,
                verification.output_tokens,
                verification.cost,
            ),
        )
        insert_citations_and_competitors(conn, t, run_id, org_id, evaluation)
    return True


def write_failed(
    db: Database,
    *,
    batch_id: UUID,
    cell: Cell,
    reason: str,
    provider: str | None = None,
    placeholder: bool = False,
) -> None:
    """Record why a cell failed (it is retried by a later run and never charged)."""
    claim = _key(batch_id, cell) | {
        "run_id": None,
        "status": "failed",
        "reason": reason[:2000],
        "provider": provider,
        "placeholder": placeholder,
        "simulated": False,
        "sov": None,
        "evaluator": None,
        "duration": None,
    }
    with db.transaction() as conn:
        conn.execute(_CLAIM, claim)
