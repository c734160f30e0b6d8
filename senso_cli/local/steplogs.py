"""Where the step handlers' JSON log lines go when the local runtime runs them.

On AWS each line lands in CloudWatch Logs; locally they land in the `step_logs` table, which
`senso logs` reads beside the execution history. In-process steps log through a `StepLogger`
whose stream is a `StepLogStream`; a step run as a process writes the same JSON lines to
stderr, and the invoker hands each one to `StepLogStream.write`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from handlers.db.database import Database
from handlers.errors import SensoError

_COLUMNS = ("timestamp", "level", "step", "org_id", "batch_id", "message")


class StepLogStream:
    """A write-only text stream that stores each JSON line as one `step_logs` row."""

    def __init__(self, db: Database, execution_arn: str | None) -> None:
        self._db = db
        self._arn = execution_arn

    def write(self, text: str) -> int:
        for line in text.splitlines():
            self.record_line(line)
        return len(text)

    def flush(self) -> None:
        """Each line is stored when written; nothing is buffered."""

    def record_line(self, line: str) -> None:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return  # not one of ours (a library's warning): CloudWatch would keep it, we skip
        if isinstance(record, dict):
            self.record(record)

    def record(self, record: dict[str, Any]) -> None:
        fields = {k: v for k, v in record.items() if k not in _COLUMNS and k != "execution_id"}
        stamp = record.get("timestamp")
        try:
            moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            moment = None
        try:
            with self._db.transaction() as conn:
                conn.execute(
                    """INSERT INTO senso.step_logs (execution_arn, timestamp, level, step, org_id,
                           batch_id, message, fields)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                    (
                        self._arn or record.get("execution_id"),
                        moment or datetime.now(UTC),
                        str(record.get("level", "INFO")),
                        record.get("step"),
                        _text(record.get("org_id")),
                        _text(record.get("batch_id")),
                        str(record.get("message", "")),
                        Jsonb(json.loads(json.dumps(fields, default=str))),
                    ),
                )
        except SensoError:
            # Logging must never fail a step: a database hiccup loses this line only.
            return


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
