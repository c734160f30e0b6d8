"""Read batches and their results from PostgreSQL into pandas, aggregated per batch in SQL.

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

# One row per (batch, model): a single pass over the window's runs and evaluations gives both
# the batch aggregates (summed in pandas) and the per-model cell counts.
_BATCH_MODELS_SQL = """
WITH b AS (
    SELECT b.batch_id, b.org_id, o.slug AS org, b.batch_day, b.orchestrator, b.status,
           b.total_cells, b.started_at, b.completed_at
    FROM question_run_batches b
    JOIN orgs o ON o.org_id = b.org_id
    WHERE b.batch_day BETWEEN %(first_day)s AND %(last_day)s
      AND (%(org_id)s::uuid IS NULL OR b.org_id = %(org_id)s::uuid)
),
r AS (
    SELECT qr.batch_id, qr.run_model AS model,
           count(*) AS cells,
           count(*) FILTER (WHERE qr.status = 'failed') AS failed_cells,
           count(*) FILTER (WHERE qr.status = 'completed') AS completed_cells,
           count(e.question_run_id) FILTER (WHERE qr.status = 'completed') AS evaluated,
           count(*) FILTER (WHERE qr.status = 'completed' AND e.mentioned) AS mentioned,
           count(*) FILTER (WHERE qr.status = 'completed' AND e.citation) AS cited,
           sum(e.share_of_voice::float8) FILTER (WHERE qr.status = 'completed') AS sov_sum,
           count(e.share_of_voice) FILTER (WHERE qr.status = 'completed') AS sov_n,
           sum(e.mention_rank::float8) FILTER (WHERE e.mentioned) AS rank_sum,
           count(e.mention_rank) FILTER (WHERE e.mentioned) AS rank_n,
           count(*) FILTER (WHERE e.sentiment = 'positive') AS positive,
           count(*) FILTER (WHERE e.sentiment = 'neutral') AS neutral,
           count(*) FILTER (WHERE e.sentiment = 'negative') AS negative
    FROM b
    JOIN question_runs qr ON qr.batch_id = b.batch_id
    LEFT JOIN org_evals e ON e.question_run_id = qr.question_run_id
    GROUP BY qr.batch_id, qr.run_model
),
c AS (
    SELECT qr.batch_id, qr.run_model AS model, count(*) AS competitors
    FROM b
    JOIN question_runs qr ON qr.batch_id = b.batch_id
    JOIN org_competitors oc ON oc.question_run_id = qr.question_run_id
    GROUP BY qr.batch_id, qr.run_model
),
l AS (
    SELECT l.batch_id, sum(-l.amount)::float8 AS credits
    FROM b
    JOIN credit_ledger l ON l.batch_id = b.batch_id
    GROUP BY l.batch_id
)
SELECT b.batch_id, b.org_id, b.org, b.batch_day, b.orchestrator, b.status, b.total_cells,
       b.started_at, b.completed_at,
       extract(epoch FROM b.completed_at - b.started_at)::float8 AS duration_s,
       coalesce(l.credits, 0)::float8 AS credits,
       r.model,
       coalesce(r.cells, 0) AS cells,
       coalesce(r.failed_cells, 0) AS failed_cells,
       coalesce(r.completed_cells, 0) AS completed_cells,
       coalesce(r.evaluated, 0) AS evaluated,
       coalesce(r.mentioned, 0) AS mentioned,
       coalesce(r.cited, 0) AS cited,
       coalesce(r.sov_sum, 0) AS sov_sum,
       coalesce(r.sov_n, 0) AS sov_n,
       coalesce(r.rank_sum, 0) AS rank_sum,
       coalesce(r.rank_n, 0) AS rank_n,
       coalesce(r.positive, 0) AS positive,
       coalesce(r.neutral, 0) AS neutral,
       coalesce(r.negative, 0) AS negative,
       coalesce(c.competitors, 0) AS competitors
FROM b
LEFT JOIN l ON l.batch_id = b.batch_id
LEFT JOIN r ON r.batch_id = b.batch_id
LEFT JOIN c ON c.batch_id = r.batch_id AND c.model = r.model
"""

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
    params = {"first_day": window.first_day, "last_day": window.last_day, "org_id": window.org_id}
    with db.connect(autocommit=True) as conn:
        # One big aggregation: JIT compilation costs more than it saves here.
        conn.execute("SET jit = off")
        rows = _frame(conn, _BATCH_MODELS_SQL, params)
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
