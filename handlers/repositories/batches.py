"""Batches and their cells: the matrix snapshot and which cells are still to run."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel

from handlers.errors import NotFoundError


class Cell(BaseModel):
    """One question x model x location of a batch, with what a provider needs to answer it."""

    question_id: UUID
    model_id: UUID
    location_id: UUID
    question: str
    model: str
    country_code: str
    region_name: str | None

    @property
    def key(self) -> str:
        return f"{self.question_id}:{self.model_id}:{self.location_id}"


_CURRENT_MATRIX = """
    SELECT q.question_id, m.model_id, l.location_id
    FROM geo_questions q
    JOIN geo_models m ON m.org_id = q.org_id AND m.retired_at IS NULL
    JOIN org_locations l ON l.org_id = q.org_id AND l.retired_at IS NULL
    WHERE q.org_id = %(org_id)s AND q.retired_at IS NULL
"""


def load_batch(
    conn: psycopg.Connection[Any], batch_id: UUID, *, lock: bool = False
) -> dict[str, Any]:
    query = "SELECT * FROM question_run_batches WHERE batch_id = %s"
    row = conn.execute(query + (" FOR UPDATE" if lock else ""), (batch_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"batch {batch_id} does not exist")
    return dict(row)


def has_snapshot(conn: psycopg.Connection[Any], batch_id: UUID) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM batch_cells WHERE batch_id = %s LIMIT 1", (batch_id,)
        ).fetchone()
        is not None
    )


def snapshot_cells(conn: psycopg.Connection[Any], batch_id: UUID, org_id: UUID) -> int:
    """Fix the batch's matrix once (a resumed batch keeps the matrix it started with)."""
    if not has_snapshot(conn, batch_id):
        # _CURRENT_MATRIX is a constant; every value travels as a parameter.
        query = f"SELECT %(batch_id)s, c.* FROM ({_CURRENT_MATRIX}) c ON CONFLICT DO NOTHING"  # noqa: S608
        conn.execute(
            "INSERT INTO batch_cells (batch_id, question_id, model_id, location_id) " + query,
            {"batch_id": batch_id, "org_id": org_id},
        )
    row = conn.execute(
        "SELECT count(*) AS n FROM batch_cells WHERE batch_id = %s", (batch_id,)
    ).fetchone()
    return int(row["n"]) if row else 0


def cells_to_run_count(conn: psycopg.Connection[Any], batch_id: UUID, org_id: UUID) -> int:
    """Cells of the batch (its snapshot, else the org's current matrix) not yet completed."""
    source = (
        "SELECT question_id, model_id, location_id FROM batch_cells WHERE batch_id = %(batch_id)s"
        if has_snapshot(conn, batch_id)
        else _CURRENT_MATRIX
    )
    row = conn.execute(
        f"""SELECT count(*) AS n FROM ({source}) c
            WHERE NOT EXISTS (
              SELECT 1 FROM question_runs r
              WHERE r.batch_id = %(batch_id)s AND r.status = 'completed'
                AND (r.question_id, r.model_id, r.location_id)
                    = (c.question_id, c.model_id, c.location_id))""",  # noqa: S608
        {"batch_id": batch_id, "org_id": org_id},
    ).fetchone()
    return int(row["n"]) if row else 0


def pending_cells(conn: psycopg.Connection[Any], batch_id: UUID) -> list[Cell]:
    """The snapshot's cells with no completed run, in a stable order."""
    rows = conn.execute(
        """SELECT c.question_id, c.model_id, c.location_id, q.question_text AS question,
                  m.name AS model, l.country_code, l.region_name
           FROM batch_cells c
           JOIN geo_questions q ON q.question_id = c.question_id
           JOIN geo_models m ON m.model_id = c.model_id
           JOIN org_locations l ON l.location_id = c.location_id
           WHERE c.batch_id = %s
             AND NOT EXISTS (
               SELECT 1 FROM question_runs r
               WHERE r.batch_id = c.batch_id AND r.status = 'completed'
                 AND (r.question_id, r.model_id, r.location_id)
                     = (c.question_id, c.model_id, c.location_id))
           ORDER BY m.position, l.position, q.position""",
        (batch_id,),
    ).fetchall()
    return [Cell(**row) for row in rows]


def progress(conn: psycopg.Connection[Any], batch_id: UUID) -> dict[str, int]:
    row = conn.execute(
        "SELECT total_cells, completed_cells, failed_cells FROM batch_progress WHERE batch_id = %s",
        (batch_id,),
    ).fetchone()
    if row is None:
        return {"total_cells": 0, "completed_cells": 0, "failed_cells": 0}
    return {key: int(value) for key, value in row.items()}
