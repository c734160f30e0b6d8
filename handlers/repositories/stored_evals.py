"""Stored answers and their evaluations, read and replaced for a re-evaluation.

Reads the org's question runs (product `question_runs` joined to their batch for the org) with
the org's `org_evals` row, citations and competitors. Replacing an evaluation updates the
`org_evals` row in place (its id is kept), swaps the run's citation and competitor rows for the
org, and updates senso's own cell row (share of voice, evaluator), all in one transaction.
Nothing else is touched: not the run, its batch, the ledger or the balances.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.evaluation import Evaluation


@dataclass(frozen=True)
class StoredEvaluation:
    """One stored answer and what the evaluation stored for it."""

    question_run_id: UUID
    org_eval_id: UUID
    created_at: datetime
    response_text: str
    mentioned: bool
    sentiment: str | None
    mention_text: str | None
    mention_rank: int | None
    citation: bool
    citations: frozenset[tuple[str, str]]
    competitors: tuple[str, ...]


def load_stored(db: Database, org_id: UUID, since: datetime) -> list[StoredEvaluation]:
    """The org's stored answers created at or after `since`, oldest first."""
    t = db.tables
    with db.connect() as conn:
        rows = conn.execute(
            f"""SELECT r.question_run_id, r.created_at, r.response_text, e.org_eval_id,
                       e.mentioned, e.sentiment, e.mention_text, e.mention_rank, e.citation
                  FROM {t.question_runs} r
                  JOIN {t.question_run_batches} b ON b.batch_id = r.batch_id
                  JOIN {t.org_evals} e ON e.question_run_id = r.question_run_id
                       AND e.org_id = %(org)s
                 WHERE b.org_id = %(org)s AND r.created_at >= %(since)s
                       AND r.response_text IS NOT NULL
                 ORDER BY r.created_at, r.question_run_id""",  # noqa: S608
            {"org": org_id, "since": since},
        ).fetchall()
        ids = [row["question_run_id"] for row in rows]
        citations: dict[UUID, set[tuple[str, str]]] = {}
        for row in conn.execute(
            f"""SELECT question_run_id, url, type FROM {t.org_citations}
                 WHERE org_id = %s AND question_run_id = ANY(%s)""",  # noqa: S608
            (org_id, ids),
        ):
            citations.setdefault(row["question_run_id"], set()).add((row["url"], row["type"]))
        competitors: dict[UUID, list[str]] = {}
        for row in conn.execute(
            f"""SELECT question_run_id, name FROM {t.org_competitors}
                 WHERE org_id = %s AND question_run_id = ANY(%s)
                 ORDER BY question_run_id, created_at, org_competitor_id""",  # noqa: S608
            (org_id, ids),
        ):
            competitors.setdefault(row["question_run_id"], []).append(row["name"])
    return [
        StoredEvaluation(
            question_run_id=row["question_run_id"],
            org_eval_id=row["org_eval_id"],
            created_at=row["created_at"],
            response_text=row["response_text"],
            mentioned=bool(row["mentioned"]),
            sentiment=row["sentiment"],
            mention_text=row["mention_text"],
            mention_rank=row["mention_rank"],
            citation=bool(row["citation"]),
            citations=frozenset(citations.get(row["question_run_id"], set())),
            competitors=tuple(competitors.get(row["question_run_id"], [])),
        )
        for row in rows
    ]


def replace_evaluation(
    db: Database, org_id: UUID, stored: StoredEvaluation, evaluation: Evaluation
) -> None:
    """Store `evaluation` for the stored answer, in place and in one transaction."""
    t = db.tables
    run_id = stored.question_run_id
    verification = evaluation.verification_usage
    with db.transaction() as conn:
        conn.execute(
            f"""UPDATE {t.org_evals}
                   SET mentioned = %s, citation = %s, sentiment = %s, mention_text = %s,
                       mention_rank = %s, input_tokens = %s, output_tokens = %s, total_cost = %s
                 WHERE org_eval_id = %s""",  # noqa: S608
            (
                evaluation.mentioned,
                evaluation.citation,
                evaluation.sentiment,
                evaluation.mention_text,
                evaluation.mention_rank,
                verification.input_tokens,
                verification.output_tokens,
                verification.cost,
                stored.org_eval_id,
            ),
        )
        conn.execute(
            f"DELETE FROM {t.org_citations} WHERE question_run_id = %s AND org_id = %s",  # noqa: S608
            (run_id, org_id),
        )
        conn.execute(
            f"DELETE FROM {t.org_competitors} WHERE question_run_id = %s AND org_id = %s",  # noqa: S608
            (run_id, org_id),
        )
        insert_citations_and_competitors(conn, t, run_id, org_id, evaluation)
        conn.execute(
            """UPDATE senso.cell_runs SET share_of_voice = %s, evaluator = %s, updated_at = now()
                WHERE question_run_id = %s""",
            (evaluation.share_of_voice, evaluation.evaluator, run_id),
        )


def insert_citations_and_competitors(
    conn: psycopg.Connection[Any], t: Tables, run_id: UUID, org_id: UUID, evaluation: Evaluation
) -> None:
    """Write an evaluated cell's citation and competitor rows (the matrix and reevaluate both).

    The competitor call's tokens and cost go on the first row only, so their sum is the
    call's (the old system repeated them on every row, weakness 7).
    """
    with conn.cursor() as cur:
        cur.executemany(
            f"""INSERT INTO {t.org_citations}
                    (org_citation_id, question_run_id, org_id, url, type, dead_link)
                VALUES (%s, %s, %s, %s, %s, false)""",  # noqa: S608
            [(uuid.uuid4(), run_id, org_id, c.url, c.type) for c in evaluation.citations],
        )
        usage = evaluation.competitor_usage
        cur.executemany(
            f"""INSERT INTO {t.org_competitors} (org_competitor_id, question_run_id, org_id,
                    name, input_tokens, output_tokens, total_cost)
                VALUES (%s, %s, %s, %s, %s, %s, %s)""",  # noqa: S608
            [
                (
                    uuid.uuid4(),
                    run_id,
                    org_id,
                    name,
                    usage.input_tokens if i == 0 else 0,
                    usage.output_tokens if i == 0 else 0,
                    usage.cost if i == 0 else 0,
                )
                for i, name in enumerate(dict.fromkeys(evaluation.competitors))
            ],
        )
