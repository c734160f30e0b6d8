"""Read batches and their results from PostgreSQL into pandas, aggregated per batch in SQL.

The Inngest side is what the old system wrote: product batches that no senso execution
produced (handlers.repositories.sides). The Step Functions side is senso's live batches (the
product's tables) and its shadow batches (senso's shadow tables).

A million question runs never cross the wire: PostgreSQL groups runs, evaluations, competitors
and ledger entries per batch, and pandas receives one row per batch (tens of thousands at
most) plus, for paired batches only, one row per batch and model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import pandas as pd
import psycopg

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.providers.base import PLACEHOLDER_TEXT
from handlers.repositories.sides import batches_sql

BATCH_COLUMNS = (
    "batch_id",
    "org_id",
    "org",
    "batch_day",
    "orchestrator",
    "status",
    "total_cells",
    "started_at",
    "completed_at",
    "cells",
    "failed_cells",
    "completed_cells",
    "evaluated",
    "mentioned",
    "cited",
    "sov_mean",
    "rank_mean",
    "positive",
    "neutral",
    "negative",
    "competitors",
    "credits",
    "duration_s",
)


# One row per (batch, model), from what each side really wrote: the product's runs, evaluations,
# competitors and ledger rows (senso's shadow copies for shadow batches), plus the cells senso
# recorded as failed (they have no product run). The old system's failed cells are its
# placeholder runs. SOV is the product's definition: bytes of mention_text / bytes of the answer.
# Table names come from the validated table map; every value is a parameter.
def _batch_models_sql(t: Tables, product: Tables) -> str:
    return f"""
WITH b AS (
    SELECT b.batch_id, b.org_id, coalesce(a.slug, b.org_id::text) AS org, b.batch_day,
           b.orchestrator, b.status, b.total_questions AS total_cells, b.started_at,
           b.completed_at
    FROM ({batches_sql(product)}) b
    LEFT JOIN senso.org_aliases a ON a.org_id = b.org_id
    WHERE b.shadow = %(shadow)s
      AND b.batch_day BETWEEN %(first_day)s AND %(last_day)s
      AND (%(org_id)s::uuid IS NULL OR b.org_id = %(org_id)s::uuid)
),
runs AS (
    SELECT qr.batch_id, qr.run_model AS model, qr.question_run_id,
           (qr.response_text = %(placeholder)s) AS failed, e.question_run_id AS evaluated,
           e.mentioned, e.citation, e.mention_rank, lower(e.sentiment) AS sentiment,
           CASE WHEN e.mentioned AND octet_length(qr.response_text) > 0
                THEN 100.0 * octet_length(coalesce(e.mention_text, ''))
                     / octet_length(qr.response_text)
                ELSE 0 END AS sov
    FROM b
    JOIN {t.question_runs} qr ON qr.batch_id = b.batch_id
    LEFT JOIN {t.org_evals} e ON e.question_run_id = qr.question_run_id
),
r AS (
    SELECT batch_id, model,
           count(*) AS cells,
           count(*) FILTER (WHERE failed) AS failed_cells,
           count(*) FILTER (WHERE NOT failed) AS completed_cells,
           count(evaluated) FILTER (WHERE NOT failed) AS evaluated,
           count(*) FILTER (WHERE NOT failed AND mentioned) AS mentioned,
           count(*) FILTER (WHERE NOT failed AND citation) AS cited,
           sum(sov::float8) FILTER (WHERE NOT failed) AS sov_sum,
           count(evaluated) FILTER (WHERE NOT failed) AS sov_n,
           sum(mention_rank::float8) FILTER (WHERE mentioned) AS rank_sum,
           count(mention_rank) FILTER (WHERE mentioned) AS rank_n,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive,
           count(*) FILTER (WHERE sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative
    FROM runs GROUP BY batch_id, model
    UNION ALL
    SELECT c.batch_id, m.name, count(*), count(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
    FROM b
    JOIN senso.cell_runs c ON c.batch_id = b.batch_id AND c.status = 'failed'
    JOIN {product.geo_models} m ON m.geo_model_id = c.model_id
    GROUP BY c.batch_id, m.name
),
rm AS (
    SELECT batch_id, model, sum(cells) AS cells, sum(failed_cells) AS failed_cells,
           sum(completed_cells) AS completed_cells, sum(evaluated) AS evaluated,
           sum(mentioned) AS mentioned, sum(cited) AS cited, sum(sov_sum) AS sov_sum,
           sum(sov_n) AS sov_n, sum(rank_sum) AS rank_sum, sum(rank_n) AS rank_n,
           sum(positive) AS positive, sum(neutral) AS neutral, sum(negative) AS negative
    FROM r GROUP BY batch_id, model
),
c AS (
    SELECT qr.batch_id, qr.run_model AS model, count(*) AS competitors
    FROM b
    JOIN {t.question_runs} qr ON qr.batch_id = b.batch_id
    JOIN {t.org_competitors} oc ON oc.question_run_id = qr.question_run_id
    GROUP BY qr.batch_id, qr.run_model
),
l AS (
    SELECT b.batch_id, sum(-l.amount)::float8 AS credits
    FROM b
    JOIN {t.credit_ledger} l ON l.metadata->>'batch_id' = b.batch_id::text
    GROUP BY b.batch_id
)
SELECT b.batch_id, b.org_id, b.org, b.batch_day, b.orchestrator, b.status, b.total_cells,
       b.started_at, b.completed_at,
       extract(epoch FROM b.completed_at - b.started_at)::float8 AS duration_s,
       coalesce(l.credits, 0)::float8 AS credits,
       rm.model,
       coalesce(rm.cells, 0) AS cells,
       coalesce(rm.failed_cells, 0) AS failed_cells,
       coalesce(rm.completed_cells, 0) AS completed_cells,
       coalesce(rm.evaluated, 0) AS evaluated,
       coalesce(rm.mentioned, 0) AS mentioned,
       coalesce(rm.cited, 0) AS cited,
       coalesce(rm.sov_sum, 0) AS sov_sum,
       coalesce(rm.sov_n, 0) AS sov_n,
       coalesce(rm.rank_sum, 0) AS rank_sum,
       coalesce(rm.rank_n, 0) AS rank_n,
       coalesce(rm.positive, 0) AS positive,
       coalesce(rm.neutral, 0) AS neutral,
       coalesce(rm.negative, 0) AS negative,
       coalesce(c.competitors, 0) AS competitors
FROM b
LEFT JOIN l ON l.batch_id = b.batch_id
LEFT JOIN rm ON rm.batch_id = b.batch_id
LEFT JOIN c ON c.batch_id = rm.batch_id AND c.model = rm.model
"""  # noqa: S608


_PER_BATCH = (
    "batch_id",
    "org_id",
    "org",
    "batch_day",
    "orchestrator",
    "status",
    "total_cells",
    "started_at",
    "completed_at",
    "duration_s",
    "credits",
)
_SUMMED = (
    "cells",
    "failed_cells",
    "completed_cells",
    "evaluated",
    "mentioned",
    "cited",
    "sov_sum",
    "sov_n",
    "rank_sum",
    "rank_n",
    "positive",
    "neutral",
    "negative",
    "competitors",
)


@dataclass(frozen=True)
class Window:
    """The batches compare reads: those whose batch day falls in [since, until]."""

    since: datetime
    until: datetime
    org_id: UUID | None = None

    @property
    def first_day(self) -> date:
        return self.since.date()

    @property
    def last_day(self) -> date:
        return self.until.date()


def _frame(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> pd.DataFrame:
    cursor = conn.execute(sql, params)
    columns = [column.name for column in cursor.description or []]
    return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


@dataclass(frozen=True)
class Loaded:
    """`batches`: one row per batch (BATCH_COLUMNS); `model_cells`: cells per batch and model."""

    batches: pd.DataFrame
    model_cells: pd.DataFrame

    def model_cells_for(self, batch_ids: list[str]) -> pd.DataFrame:
        return self.model_cells[self.model_cells["batch_id"].isin(batch_ids)]


def load(db: Database, window: Window) -> Loaded:
    """The window's batches with their aggregates, and their cell counts per model."""
    params = {
        "first_day": window.first_day,
        "last_day": window.last_day,
        "org_id": window.org_id,
        "placeholder": PLACEHOLDER_TEXT,
    }
    with db.connect(autocommit=True) as conn:
        # One big aggregation: JIT compilation costs more than it saves here.
        conn.execute("SET jit = off")
        # Live and old-system batches are in the product's tables, shadow ones in senso's.
        frames = [
            _frame(
                conn,
                _batch_models_sql(db.tables.for_batch(shadow), db.tables),
                params | {"shadow": shadow},
            )
            for shadow in (False, True)
        ]
    frames = [frame for frame in frames if not frame.empty]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        empty = pd.DataFrame({column: pd.Series(dtype="object") for column in BATCH_COLUMNS})
        return Loaded(empty, pd.DataFrame(columns=["batch_id", "model", "cells", "failed_cells"]))
    rows["batch_id"] = rows["batch_id"].astype(str)
    rows["org_id"] = rows["org_id"].astype(str)
    rows["batch_day"] = rows["batch_day"].astype(str)
    for column in _SUMMED:
        rows[column] = rows[column].astype("float64")
    grouped = rows.groupby("batch_id", sort=False)
    batches = grouped[list(_PER_BATCH[1:])].first()
    batches = batches.join(grouped[list(_SUMMED)].sum()).reset_index()
    batches["sov_mean"] = batches["sov_sum"] / batches["sov_n"].replace(0.0, float("nan"))
    batches["rank_mean"] = batches["rank_sum"] / batches["rank_n"].replace(0.0, float("nan"))
    batches = batches.sort_values(["batch_day", "org", "orchestrator"]).reset_index(drop=True)
    models = rows.loc[rows["model"].notna(), ["batch_id", "model", "cells", "failed_cells"]]
    models = models.astype({"cells": "int64", "failed_cells": "int64"})
    return Loaded(batches[list(BATCH_COLUMNS)], models.reset_index(drop=True))
