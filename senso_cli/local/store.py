"""Local executions and their history in PostgreSQL, shaped like Step Functions' API answers."""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from handlers.db.database import Database
from handlers.errors import NotFoundError, TransientError


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def owner_alive(record: dict[str, Any]) -> bool:
    """Whether the process that runs a RUNNING execution still exists (on this host)."""
    pid = record.get("owner_pid")
    if pid is None or record.get("owner_host") != socket.gethostname():
        return pid is not None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(record: dict[str, Any]) -> str:
    """The status a starter decides on: RUNNING whose process is gone (killed, machine
    restarted) counts as ABORTED, so the next attempt takes over (`senso redrive` can still
    continue it)."""
    if record["status"] == "RUNNING" and not owner_alive(record):
        return "ABORTED"
    return str(record["status"])


class ExecutionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, *, arn: str, name: str, state_machine_arn: str, input: Any, org_id: UUID | None
    ) -> bool:
        """Record a new RUNNING execution; False when that name already exists."""
        with self._db.transaction() as conn:
            row = conn.execute(
                """INSERT INTO senso.sfn_executions (execution_arn, name, state_machine_arn, status,
                       input, org_id, owner_host, owner_pid)
                   VALUES (%s, %s, %s, 'RUNNING', %s, %s, %s, %s)
                   ON CONFLICT DO NOTHING RETURNING execution_arn""",
                (
                    arn,
                    name,
                    state_machine_arn,
                    Jsonb(input),
                    org_id,
                    socket.gethostname(),
                    os.getpid(),
                ),
            ).fetchone()
        return row is not None

    def claim(self, arn: str, pid: int | None = None) -> None:
        """This process (or the worker `pid` it just spawned) now runs the execution."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE senso.sfn_executions SET owner_host = %s, owner_pid = %s "
                "WHERE execution_arn = %s",
                (socket.gethostname(), os.getpid() if pid is None else pid, arn),
            )

    @retry(
        retry=retry_if_exception_type(TransientError),
        wait=wait_exponential(multiplier=0.1, max=2.0),
        stop=stop_after_delay(30),
        reraise=True,
    )
    def append(self, arn: str, redrive_count: int, event: dict[str, Any]) -> None:
        """Record one history event; a database restart is waited out so no event is lost."""
        details = {k: v for k, v in event.items() if k.endswith("EventDetails")}
        with self._db.transaction() as conn:
            conn.execute(
                """INSERT INTO senso.sfn_history_events (execution_arn, event_id, redrive_count,
                       previous_event_id, event_type, timestamp, details)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                (
                    arn,
                    event["id"],
                    redrive_count,
                    event.get("previousEventId"),
                    event["type"],
                    event["timestamp"],
                    Jsonb(_jsonable(details)),
                ),
            )

    def finish(
        self, arn: str, status: str, output: Any, error: str | None, cause: str | None
    ) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                """UPDATE senso.sfn_executions SET status = %s, output = %s, error = %s, cause = %s,
                       stop_date = now(), owner_pid = NULL
                   WHERE execution_arn = %s AND status = 'RUNNING'""",
                (
                    status,
                    Jsonb(_jsonable(output)) if output is not None else None,
                    error,
                    cause,
                    arn,
                ),
            )

    def begin_redrive(self, arn: str) -> int:
        with self._db.transaction() as conn:
            row = conn.execute(
                """UPDATE senso.sfn_executions
                   SET status = 'RUNNING', redrive_count = redrive_count + 1,
                       error = NULL, cause = NULL, stop_date = NULL, owner_host = %s, owner_pid = %s
                   WHERE execution_arn = %s RETURNING redrive_count""",
                (socket.gethostname(), os.getpid(), arn),
            ).fetchone()
        assert row is not None
        return int(row["redrive_count"])

    def get(self, arn_or_name: str) -> dict[str, Any]:
        with self._db.connect() as conn:
            row = conn.execute(
                """SELECT * FROM senso.sfn_executions WHERE execution_arn = %s OR name = %s
                   ORDER BY start_date DESC LIMIT 1""",
                (arn_or_name, arn_or_name),
            ).fetchone()
        if row is None:
            raise NotFoundError(
                f"no execution {arn_or_name!r}", hint="`senso status` lists recent executions"
            )
        return dict(row)

    def find(self, arn: str) -> dict[str, Any] | None:
        """The execution with exactly this ARN, None when there is none."""
        with self._db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM senso.sfn_executions WHERE execution_arn = %s", (arn,)
            ).fetchone()
        return dict(row) if row is not None else None

    def many(self, arns: list[str]) -> dict[str, dict[str, Any]]:
        """Status, error and cause of each listed execution that exists, by ARN."""
        with self._db.connect() as conn:
            rows = conn.execute(
                """SELECT execution_arn, status, error, cause, owner_host, owner_pid
                   FROM senso.sfn_executions WHERE execution_arn = ANY(%s)""",
                (arns,),
            ).fetchall()
        return {row["execution_arn"]: dict(row) for row in rows}

    def recent(
        self,
        *,
        status: str | None = None,
        since: datetime | None = None,
        org_id: UUID | None = None,
        limit: int = 50,
        state_machine_arn: str | None = None,
    ) -> list[dict[str, Any]]:
        with self._db.connect() as conn:
            rows = conn.execute(
                """SELECT * FROM senso.sfn_executions
                   WHERE (%(status)s::text IS NULL OR status = %(status)s)
                     AND (%(since)s::timestamptz IS NULL OR start_date >= %(since)s)
                     AND (%(org)s::uuid IS NULL OR org_id = %(org)s)
                     AND (%(machine)s::text IS NULL OR state_machine_arn = %(machine)s)
                   ORDER BY start_date DESC LIMIT %(limit)s""",
                {
                    "status": status,
                    "since": since,
                    "org": org_id,
                    "limit": limit,
                    "machine": state_machine_arn,
                },
            ).fetchall()
        return [dict(row) for row in rows]

    def history(self, arn: str) -> list[dict[str, Any]]:
        with self._db.connect() as conn:
            rows = conn.execute(
                """SELECT * FROM senso.sfn_history_events WHERE execution_arn = %s
                   ORDER BY redrive_count, event_id""",
                (arn,),
            ).fetchall()
        events = []
        for row in rows:
            event = {
                "timestamp": row["timestamp"],
                "type": row["event_type"],
                "id": row["event_id"],
                "previousEventId": row["previous_event_id"],
                "redriveCount": row["redrive_count"],
            }
            event.update(row["details"])
            events.append(event)
        return events
