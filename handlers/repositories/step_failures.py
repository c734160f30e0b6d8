"""The cause of a step's failure, kept where MarkBatchFailed can read it.

ECS overrides are limited to 8,192 characters and a failure's cause may be 32,768, so the state
machine passes MarkBatchFailed only the error's name. The step that failed records its cause
here first (as the local runtime's step logs already do, in the same `step_logs` table), and
MarkBatchFailed reads the newest cause of that error for its execution.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from handlers.db.database import Database
from handlers.errors import SensoError

MAX_RECORDED_CAUSE = 4000


def record_step_failure(db: Database, execution_id: str, step: str, error: str, cause: str) -> None:
    """Store one "step failed" line; a database that is down loses it, never the failure."""
    try:
        with db.transaction() as conn:
            conn.execute(
                """INSERT INTO senso.step_logs
                       (execution_arn, timestamp, level, step, message, fields)
                   VALUES (%s, now(), 'ERROR', %s, 'step failed', %s)""",
                (execution_id, step, Jsonb({"error": error, "cause": cause[:MAX_RECORDED_CAUSE]})),
            )
    except (SensoError, psycopg.Error):
        return


def recorded_cause(
    conn: psycopg.Connection[dict[str, Any]], execution_id: str, error: str | None
) -> str | None:
    """The newest recorded cause of `error` (of any error: None) in this execution."""
    row = conn.execute(
        """SELECT fields->>'cause' AS cause FROM senso.step_logs
           WHERE execution_arn = %(execution)s AND message = 'step failed'
             AND (%(error)s::text IS NULL OR fields->>'error' = %(error)s)
           ORDER BY timestamp DESC, log_id DESC LIMIT 1""",
        {"execution": execution_id, "error": error},
    ).fetchone()
    return None if row is None else row["cause"]
