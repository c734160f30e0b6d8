"""Compute a batch's aggregates with SQL, overall and per model and per location.

- visibility: % of completed cells whose answer mentions the org;
- share of voice: mean SOV % over completed cells (0 where not mentioned);
- mean mention rank: over the cells that mention the org;
- citation rate: % of completed cells citing one of the org's own domains;
- sentiment: counts of positive / neutral / negative among mentions;
- competitors: the most frequent competitors with the share of completed cells naming them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from handlers.db.tables import Tables

# senso's cell rows give every cell of the batch (failed ones have no product run); the product
# run and its evaluation give what was answered. {runs} and {evals} come from the table map.
_GROUP_SQL = """
SELECT {key} AS key,
       count(*)                                                   AS cells,
       count(*) FILTER (WHERE c.status = 'completed')             AS completed,
       count(*) FILTER (WHERE c.status = 'failed')                AS failed,
       count(*) FILTER (WHERE e.mentioned)                        AS mentioned,
       count(*) FILTER (WHERE e.citation)                         AS cited,
       avg(coalesce(c.share_of_voice, 0)) FILTER (WHERE c.status = 'completed') AS sov,
       avg(e.mention_rank) FILTER (WHERE e.mentioned)             AS rank,
       count(*) FILTER (WHERE e.sentiment = 'positive')           AS positive,
       count(*) FILTER (WHERE e.sentiment = 'neutral')            AS neutral,
       count(*) FILTER (WHERE e.sentiment = 'negative')           AS negative
FROM senso.cell_runs c
JOIN {models} m ON m.geo_model_id = c.model_id
JOIN {locations} l ON l.org_location_id = c.location_id
LEFT JOIN {runs} r ON r.question_run_id = c.question_run_id
LEFT JOIN {evals} e ON e.question_run_id = c.question_run_id
WHERE c.batch_id = %s
GROUP BY 1
ORDER BY 1
"""


def _metrics(row: dict[str, Any]) -> dict[str, Any]:
    completed = int(row["completed"])

    def pct(part: Any) -> float:
        return round(100.0 * int(part) / completed, 2) if completed else 0.0

    return {
        "cells": int(row["cells"]),
        "completed": completed,
        "failed": int(row["failed"]),
        "visibility": pct(row["mentioned"]),
        "share_of_voice": round(float(row["sov"] or 0), 2),
        "mean_rank": round(float(row["rank"]), 2) if row["rank"] is not None else None,
        "citation_rate": pct(row["cited"]),
        "sentiment": {
            "positive": int(row["positive"]),
            "neutral": int(row["neutral"]),
            "negative": int(row["negative"]),
        },
    }


def compute_aggregates(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID) -> dict[str, Any]:
    # The grouping expressions come from this constant table, never from input.
    groups = {"overall": "'all'", "by_model": "m.name", "by_location": _LOCATION_KEY}
    result: dict[str, Any] = {}
    for name, key in groups.items():
        sql = _GROUP_SQL.format(
            key=key,
            models=t.geo_models,
            locations=t.org_locations,
            runs=t.question_runs,
            evals=t.org_evals,
        )
        rows = conn.execute(sql, (batch_id,)).fetchall()
        if name == "overall":
            result[name] = _metrics(rows[0]) if rows else _metrics(_EMPTY)
        else:
            result[name] = {str(row["key"]): _metrics(row) for row in rows}
    completed = result["overall"]["completed"]
    competitors = conn.execute(
        f"""SELECT c.name, count(DISTINCT c.question_run_id) AS answers
            FROM {t.org_competitors} c JOIN senso.cell_runs r
              ON r.question_run_id = c.question_run_id
            WHERE r.batch_id = %s GROUP BY c.name ORDER BY answers DESC, c.name LIMIT 10""",  # noqa: S608
        (batch_id,),
    ).fetchall()
    result["competitors"] = [
        {
            "name": row["name"],
            "answers": int(row["answers"]),
            "share": round(100.0 * int(row["answers"]) / completed, 2) if completed else 0.0,
        }
        for row in competitors
    ]
    return result


_LOCATION_KEY = "btrim(l.country_code) || coalesce(' / ' || l.region_name, '')"
_EMPTY = {
    "cells": 0,
    "completed": 0,
    "failed": 0,
    "mentioned": 0,
    "cited": 0,
    "sov": None,
    "rank": None,
    "positive": 0,
    "neutral": 0,
    "negative": 0,
}
