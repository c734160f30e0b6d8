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

_GROUP_SQL = """
SELECT {key} AS key,
       count(*)                                                   AS cells,
       count(*) FILTER (WHERE r.status = 'completed')             AS completed,
       count(*) FILTER (WHERE r.status = 'failed')                AS failed,
       count(*) FILTER (WHERE e.mentioned)                        AS mentioned,
       count(*) FILTER (WHERE e.citation)                         AS cited,
       avg(e.share_of_voice) FILTER (WHERE r.status = 'completed') AS sov,
       avg(e.mention_rank) FILTER (WHERE e.mentioned)             AS rank,
       count(*) FILTER (WHERE e.sentiment = 'positive')           AS positive,
       count(*) FILTER (WHERE e.sentiment = 'neutral')            AS neutral,
       count(*) FILTER (WHERE e.sentiment = 'negative')           AS negative
FROM question_runs r
LEFT JOIN org_evals e ON e.question_run_id = r.question_run_id
WHERE r.batch_id = %s
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


def compute_aggregates(conn: psycopg.Connection[Any], batch_id: UUID) -> dict[str, Any]:
    # The grouping expressions come from this constant table, never from input.
    groups = {"overall": "'all'", "by_model": "r.run_model", "by_location": _LOCATION_KEY}
    result: dict[str, Any] = {}
    for name, key in groups.items():
        rows = conn.execute(_GROUP_SQL.format(key=key), (batch_id,)).fetchall()
        if name == "overall":
            result[name] = _metrics(rows[0]) if rows else _metrics(_EMPTY)
        else:
            result[name] = {str(row["key"]): _metrics(row) for row in rows}
    completed = result["overall"]["completed"]
    competitors = conn.execute(
        """SELECT c.name, count(DISTINCT c.question_run_id) AS answers
           FROM org_competitors c JOIN question_runs r ON r.question_run_id = c.question_run_id
           WHERE r.batch_id = %s GROUP BY c.name ORDER BY answers DESC, c.name LIMIT 10""",
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


_LOCATION_KEY = "r.run_country || coalesce(' / ' || r.run_region, '')"
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
