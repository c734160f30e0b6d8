"""Write one cell's outcome: the run, its evaluation, citations and competitors together.

A completed cell is one transaction, so a crash leaves it either complete or absent (weakness
4). The upsert only replaces a *failed* run: a completed cell is never written twice, even when
two workers or a resumed step race on it; the loser's transaction writes nothing.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from handlers.db.database import Database
from handlers.evaluation import Evaluation
from handlers.providers.base import ProviderAnswer
from handlers.repositories.batches import Cell

_UPSERT_RUN = """
INSERT INTO question_runs (question_run_id, batch_id, org_id, question_id, model_id, location_id,
    status, failure_reason, provider, run_model, run_country, run_region, response_text,
    is_placeholder, simulated, input_tokens, output_tokens, answer_cost, duration_ms)
VALUES (%(id)s, %(batch_id)s, %(org_id)s, %(question_id)s, %(model_id)s, %(location_id)s,
    %(status)s, %(reason)s, %(provider)s, %(model)s, %(country)s, %(region)s, %(text)s,
    %(placeholder)s, %(simulated)s, %(input_tokens)s, %(output_tokens)s, %(cost)s, %(duration)s)
ON CONFLICT (batch_id, question_id, model_id, location_id) DO UPDATE
  SET status = EXCLUDED.status, failure_reason = EXCLUDED.failure_reason,
      provider = EXCLUDED.provider, response_text = EXCLUDED.response_text,
      is_placeholder = EXCLUDED.is_placeholder, simulated = EXCLUDED.simulated,
      input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
      answer_cost = EXCLUDED.answer_cost, duration_ms = EXCLUDED.duration_ms,
      attempts = question_runs.attempts + 1, updated_at = now()
  WHERE question_runs.status = 'failed'
RETURNING question_run_id
"""


def _base(batch_id: UUID, org_id: UUID, cell: Cell) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "batch_id": batch_id,
        "org_id": org_id,
        "question_id": cell.question_id,
        "model_id": cell.model_id,
        "location_id": cell.location_id,
        "model": cell.model,
        "country": cell.country_code,
        "region": cell.region_name,
    }


def write_completed(
    db: Database,
    *,
    batch_id: UUID,
    org_id: UUID,
    cell: Cell,
    answer: ProviderAnswer,
    evaluation: Evaluation,
) -> bool:
    """Store a completed cell; False when another writer completed it first."""
    params = _base(batch_id, org_id, cell) | {
        "status": "completed",
        "reason": None,
        "provider": answer.provider,
        "text": answer.text,
        "placeholder": False,
        "simulated": answer.simulated,
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "cost": answer.cost_usd,
        "duration": round(answer.latency_ms),
    }
    with db.transaction() as conn:
        row = conn.execute(_UPSERT_RUN, params).fetchone()
        if row is None:
            return False
        run_id = row["question_run_id"]
        conn.execute(
            """INSERT INTO org_evals (question_run_id, org_id, mentioned, citation, sentiment,
                   mention_text, mention_rank, share_of_voice, evaluator, input_tokens,
                   output_tokens, eval_cost)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            (
                run_id,
                org_id,
                evaluation.mentioned,
                evaluation.citation,
                evaluation.sentiment,
                evaluation.mention_text,
                evaluation.mention_rank,
                evaluation.share_of_voice,
                evaluation.evaluator,
                evaluation.input_tokens,
                evaluation.output_tokens,
                evaluation.cost,
            ),
        )
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO org_citations
                       (question_run_id, org_id, url, domain, citation_type, position)
                   VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                [
                    (run_id, org_id, c.url, c.domain, c.type, i)
                    for i, c in enumerate(evaluation.citations)
                ],
            )
            cur.executemany(
                """INSERT INTO org_competitors (question_run_id, org_id, name, position)
                   VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                [(run_id, org_id, name, i) for i, name in enumerate(evaluation.competitors)],
            )
    return True


def write_failed(
    db: Database,
    *,
    batch_id: UUID,
    org_id: UUID,
    cell: Cell,
    reason: str,
    provider: str | None = None,
    placeholder: bool = False,
) -> None:
    """Record why a cell failed (it is retried by a later run and never charged)."""
    params = _base(batch_id, org_id, cell) | {
        "status": "failed",
        "reason": reason[:2000],
        "provider": provider,
        "text": None,
        "placeholder": placeholder,
        "simulated": False,
        "input_tokens": None,
        "output_tokens": None,
        "cost": 0,
        "duration": None,
    }
    with db.transaction() as conn:
        conn.execute(_UPSERT_RUN, params)
