"""The batch repository: a batch's lifecycle in the product table, and its cells.

A batch is two rows written in one transaction: the product's `question_run_batches` row (what
senso-api shows: status, stored counters, is_latest) and senso's `senso.batches` row, whose
natural key (org, UTC day, live or shadow) makes "one batch per org and day" hold even when the
product table has no unique constraint. Every function takes the `Tables` to write: the
product's for a live batch, senso's shadow copies for a shadow batch (`tables.for_batch`).

Lifecycle (domain.md section 1, without weaknesses 2, 3 and 13): created `pending` and not
latest; `running` (a resumed failed batch runs again); `completed`, then latest only if no
completed batch of the org has a newer batch day; or `failed` with a reason. Counters are
recounted from `senso.cell_runs`, never incremented, so a retry cannot count a cell twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from handlers.db.tables import Tables
from handlers.errors import NotFoundError


@dataclass(frozen=True)
class Cell:
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


@dataclass(frozen=True)
class BatchKey:
    """The result of get_or_create: the batch and whether this call created it."""

    batch_id: UUID
    status: str
    created: bool


def _matrix_sql(t: Tables) -> str:
    # Names come from the validated table map; every value travels as a parameter.
    return f"""
    SELECT q.geo_question_id AS question_id, m.geo_model_id AS model_id,
           l.org_location_id AS location_id,
           row_number() OVER (ORDER BY m.created_at, m.geo_model_id, l.created_at,
                                       l.org_location_id, q.created_at, q.geo_question_id)
             AS position
    FROM {t.geo_questions} q
    JOIN {t.geo_models} m ON m.org_id = q.org_id
    JOIN {t.org_locations} l ON l.org_id = q.org_id
    WHERE q.org_id = %(org_id)s
    """  # noqa: S608


def get_or_create(
    conn: psycopg.Connection[Any],
    t: Tables,
    *,
    org_id: UUID,
    day: date,
    total_questions: int,
    execution_id: str | None,
    triggered_by: str | None,
) -> BatchKey:
    """The org's batch of `day` (live or shadow per `t`), created once even under races."""
    shadow = t.is_shadow
    inserted = conn.execute(
        """INSERT INTO senso.batches (batch_id, org_id, batch_day, shadow, execution_id,
                                      triggered_by)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (org_id, batch_day, shadow) DO NOTHING
           RETURNING batch_id""",
        (uuid.uuid4(), org_id, day, shadow, execution_id, triggered_by),
    ).fetchone()
    if inserted is not None:
        conn.execute(
            f"""INSERT INTO {t.question_run_batches}
                   (batch_id, scope, org_id, batch_type, status, total_questions,
                    completed_questions, failed_questions, is_latest, created_at, updated_at)
                VALUES (%s, 'org', %s, 'manual', 'pending', %s, 0, 0, false, now(), now())""",  # noqa: S608
            (inserted["batch_id"], org_id, total_questions),
        )
        return BatchKey(inserted["batch_id"], "pending", True)
    row = conn.execute(
        f"""SELECT s.batch_id, b.status FROM senso.batches s
            JOIN {t.question_run_batches} b ON b.batch_id = s.batch_id
            WHERE s.org_id = %s AND s.batch_day = %s AND s.shadow = %s""",  # noqa: S608
        (org_id, day, shadow),
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"senso's key for the batch of {org_id} on {day} has no product batch row",
            hint="the product row was deleted by hand; delete senso.batches' row to re-run",
        )
    if row["status"] != "completed" and execution_id:
        # A resumed batch is now driven by this execution.
        conn.execute(
            "UPDATE senso.batches SET execution_id = %s WHERE batch_id = %s",
            (execution_id, row["batch_id"]),
        )
    return BatchKey(row["batch_id"], row["status"], False)


def find_batch(
    conn: psycopg.Connection[Any], t: Tables, org_id: UUID, day: date
) -> dict[str, Any] | None:
    """The org's senso batch of `day` (live or shadow per `t`), or None."""
    row = conn.execute(
        "SELECT batch_id FROM senso.batches WHERE org_id = %s AND batch_day = %s AND shadow = %s",
        (org_id, day, t.is_shadow),
    ).fetchone()
    return load_batch(conn, t, row["batch_id"]) if row else None


def find_batch_of_execution(
    conn: psycopg.Connection[Any], t: Tables, execution_id: str
) -> dict[str, Any] | None:
    """The batch (live or shadow per `t`) this execution drives, or None."""
    row = conn.execute(
        "SELECT batch_id FROM senso.batches WHERE execution_id = %s AND shadow = %s "
        "ORDER BY created_at DESC LIMIT 1",
        (execution_id, t.is_shadow),
    ).fetchone()
    return load_batch(conn, t, row["batch_id"]) if row else None


def fail_unfinished_of_execution(
    conn: psycopg.Connection[Any], t: Tables, execution_id: str, error: str, cause: str
) -> list[UUID]:
    """Fail every pending or running batch (live or shadow per `t`) this execution drives."""
    rows = conn.execute(
        f"""SELECT s.batch_id FROM senso.batches s
            JOIN {t.question_run_batches} b ON b.batch_id = s.batch_id
            WHERE s.execution_id = %s AND s.shadow = %s
              AND b.status IN ('pending', 'running')""",  # noqa: S608
        (execution_id, t.is_shadow),
    ).fetchall()
    return [row["batch_id"] for row in rows if mark_failed(conn, t, row["batch_id"], error, cause)]


def load_batch(
    conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, *, lock: bool = False
) -> dict[str, Any]:
    """The product row and senso's row of one batch, as one dict; `lock` locks senso's row."""
    query = f"""SELECT b.batch_id, b.org_id, b.status, b.total_questions, b.completed_questions,
                      b.failed_questions, b.is_latest, b.started_at, b.completed_at,
                      b.created_at, s.batch_day, s.shadow, s.execution_id, s.triggered_by,
                      s.payer_type, s.payer_id, s.unit_price, s.error_name, s.error_cause,
                      s.aggregates, s.attempts, s.failed_at
               FROM senso.batches s JOIN {t.question_run_batches} b ON b.batch_id = s.batch_id
               WHERE s.batch_id = %s"""  # noqa: S608
    row = conn.execute(query + (" FOR UPDATE OF s" if lock else ""), (batch_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"batch {batch_id} does not exist")
    return dict(row)


def has_snapshot(conn: psycopg.Connection[Any], batch_id: UUID) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM senso.batch_cells WHERE batch_id = %s LIMIT 1", (batch_id,)
        ).fetchone()
        is not None
    )


def snapshot_cells(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, org_id: UUID) -> int:
    """Fix the batch's matrix once (a resumed batch keeps the matrix it started with)."""
    if not has_snapshot(conn, batch_id):
        insert = f"""INSERT INTO senso.batch_cells
                        (batch_id, geo_question_id, model_id, location_id, position)
                     SELECT %(batch_id)s, c.* FROM ({_matrix_sql(t)}) c
                     ON CONFLICT DO NOTHING"""  # noqa: S608
        conn.execute(insert, {"batch_id": batch_id, "org_id": org_id})
    row = conn.execute(
        "SELECT count(*) AS n FROM senso.batch_cells WHERE batch_id = %s", (batch_id,)
    ).fetchone()
    return int(row["n"]) if row else 0


def matrix_size(conn: psycopg.Connection[Any], t: Tables, org_id: UUID) -> int:
    row = conn.execute(
        f"SELECT count(*) AS n FROM ({_matrix_sql(t)}) c",  # noqa: S608
        {"org_id": org_id},
    ).fetchone()
    return int(row["n"]) if row else 0


def cells_to_run_count(
    conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, org_id: UUID
) -> int:
    """Cells of the batch (its snapshot, else the org's current matrix) not yet completed."""
    source = (
        "SELECT geo_question_id AS question_id, model_id, location_id FROM senso.batch_cells "
        "WHERE batch_id = %(batch_id)s"
        if has_snapshot(conn, batch_id)
        else _matrix_sql(t)
    )
    row = conn.execute(
        f"""SELECT count(*) AS n FROM ({source}) c
            WHERE NOT EXISTS (
              SELECT 1 FROM senso.cell_runs r
              WHERE r.batch_id = %(batch_id)s AND r.status = 'completed'
                AND (r.geo_question_id, r.model_id, r.location_id)
                    = (c.question_id, c.model_id, c.location_id))""",  # noqa: S608
        {"batch_id": batch_id, "org_id": org_id},
    ).fetchone()
    return int(row["n"]) if row else 0


def pending_cells(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID) -> list[Cell]:
    """The snapshot's cells with no completed run, in the snapshot's order."""
    rows = conn.execute(
        f"""SELECT c.geo_question_id AS question_id, c.model_id, c.location_id,
                   q.question_text AS question, m.name AS model, l.country_code, l.region_name
            FROM senso.batch_cells c
            JOIN {t.geo_questions} q ON q.geo_question_id = c.geo_question_id
            JOIN {t.geo_models} m ON m.geo_model_id = c.model_id
            JOIN {t.org_locations} l ON l.org_location_id = c.location_id
            WHERE c.batch_id = %s
              AND NOT EXISTS (
                SELECT 1 FROM senso.cell_runs r
                WHERE r.batch_id = c.batch_id AND r.status = 'completed'
                  AND (r.geo_question_id, r.model_id, r.location_id)
                      = (c.geo_question_id, c.model_id, c.location_id))
            ORDER BY c.position""",  # noqa: S608
        (batch_id,),
    ).fetchall()
    return [Cell(**row) for row in rows]


def progress(conn: psycopg.Connection[Any], batch_id: UUID) -> dict[str, int]:
    """Cells of the batch: in its snapshot, completed, and failed (from senso's cell rows)."""
    row = conn.execute(
        """SELECT (SELECT count(*) FROM senso.batch_cells WHERE batch_id = %(b)s) AS total_cells,
                  count(*) FILTER (WHERE status = 'completed') AS completed_cells,
                  count(*) FILTER (WHERE status = 'failed') AS failed_cells
           FROM senso.cell_runs WHERE batch_id = %(b)s""",
        {"b": batch_id},
    ).fetchone()
    if row is None:
        return {"total_cells": 0, "completed_cells": 0, "failed_cells": 0}
    return {key: int(value) for key, value in row.items()}


def refresh_counters(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID) -> dict[str, int]:
    """Store the counters the product shows, recounted (weakness 2: never incremented)."""
    counts = progress(conn, batch_id)
    conn.execute(
        f"""UPDATE {t.question_run_batches}
            SET total_questions = CASE WHEN %(total)s > 0 THEN %(total)s ELSE total_questions END,
                completed_questions = %(completed)s, failed_questions = %(failed)s,
                updated_at = now()
            WHERE batch_id = %(batch_id)s""",  # noqa: S608
        {
            "total": counts["total_cells"],
            "completed": counts["completed_cells"],
            "failed": counts["failed_cells"],
            "batch_id": batch_id,
        },
    )
    return counts


def mark_running(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, total: int) -> None:
    conn.execute(
        f"""UPDATE {t.question_run_batches}
            SET status = 'running', started_at = coalesce(started_at, now()),
                total_questions = %s, updated_at = now()
            WHERE batch_id = %s""",  # noqa: S608
        (total, batch_id),
    )
    conn.execute(
        """UPDATE senso.batches SET attempts = attempts + 1, error_name = NULL,
               error_cause = NULL, failed_at = NULL
           WHERE batch_id = %s""",
        (batch_id,),
    )


def mark_completed(
    conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, aggregates_json: str
) -> bool:
    """Complete the batch; it becomes latest unless a newer batch day is already latest.

    Returns whether the batch is now the org's latest. The batch day of a batch senso did not
    write (the old system's) is its creation day in UTC. Runs follow their batch: the latest
    batch's runs are latest, and other runs of the same questions are not.
    """
    batch = load_batch(conn, t, batch_id)
    org_id = batch["org_id"]
    # One writer of the org's latest flag at a time (there is no unique index to lean on).
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('senso-latest:' || %s::text))", (org_id,))
    conn.execute(
        f"""UPDATE {t.question_run_batches}
            SET status = 'completed', completed_at = coalesce(completed_at, now()),
                updated_at = now()
            WHERE batch_id = %s""",  # noqa: S608
        (batch_id,),
    )
    conn.execute(
        "UPDATE senso.batches SET aggregates = %s WHERE batch_id = %s", (aggregates_json, batch_id)
    )
    newer = conn.execute(
        f"""SELECT 1 FROM {t.question_run_batches} b
            LEFT JOIN senso.batches s ON s.batch_id = b.batch_id
            WHERE b.org_id = %s AND b.batch_id <> %s AND b.status = 'completed'
              AND coalesce(s.batch_day, (b.created_at AT TIME ZONE 'UTC')::date) > %s
            LIMIT 1""",  # noqa: S608
        (org_id, batch_id, batch["batch_day"]),
    ).fetchone()
    if newer is not None:
        return False
    conn.execute(
        f"""UPDATE {t.question_run_batches} SET is_latest = false, updated_at = now()
            WHERE org_id = %s AND is_latest AND batch_id <> %s""",  # noqa: S608
        (org_id, batch_id),
    )
    conn.execute(
        f"UPDATE {t.question_run_batches} SET is_latest = true WHERE batch_id = %s",  # noqa: S608
        (batch_id,),
    )
    conn.execute(
        f"""UPDATE {t.question_runs} SET is_latest = false, updated_at = now()
            WHERE is_latest AND batch_id IS DISTINCT FROM %(b)s
              AND geo_question_id IN (SELECT geo_question_id FROM senso.batch_cells
                                      WHERE batch_id = %(b)s)""",  # noqa: S608
        {"b": batch_id},
    )
    conn.execute(
        f"""UPDATE {t.question_runs} SET is_latest = true, updated_at = now()
            WHERE batch_id = %s AND NOT is_latest""",  # noqa: S608
        (batch_id,),
    )
    return True


def mark_failed(
    conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, error: str, cause: str
) -> bool:
    """Fail the batch with its reason unless it is completed; is_latest is untouched."""
    # senso's row first, then the product's: the order every step takes (load_batch with
    # lock=True), so a FinalizeExecution racing a step that is still running cannot deadlock.
    conn.execute("SELECT 1 FROM senso.batches WHERE batch_id = %s FOR UPDATE", (batch_id,))
    row = conn.execute(
        f"""UPDATE {t.question_run_batches} SET status = 'failed', updated_at = now()
            WHERE batch_id = %s AND status <> 'completed' RETURNING batch_id""",  # noqa: S608
        (batch_id,),
    ).fetchone()
    if row is None:
        return False
    conn.execute(
        """UPDATE senso.batches SET error_name = %s, error_cause = %s,
               failed_at = coalesce(failed_at, now())
           WHERE batch_id = %s""",
        (error, cause, batch_id),
    )
    refresh_counters(conn, t, batch_id)
    return True
