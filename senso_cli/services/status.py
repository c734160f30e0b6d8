"""One view of an execution for local and AWS runs alike: its states as a timeline.

Both sources give GetExecutionHistory-shaped events, so the timeline is computed once here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class StateRow:
    name: str
    status: str  # running | succeeded | failed
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    error: str | None = None
    cause: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.exited is None:
            return None
        return round((self.exited - self.entered).total_seconds(), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "entered": self.entered.isoformat(),
            "exited": self.exited.isoformat() if self.exited else None,
            "duration_s": self.duration_s,
            "attempts": self.attempts,
            "retries": max(0, self.attempts - 1),
            "error": self.error,
            "cause": self.cause,
        }


def _details(event: dict[str, Any], suffix: str) -> dict[str, Any]:
    for key, value in event.items():
        if key.endswith(suffix) and isinstance(value, dict):
            return value
    return {}


def timeline(history: list[dict[str, Any]]) -> list[StateRow]:
    rows: list[StateRow] = []
    current: dict[str, StateRow] = {}
    last: StateRow | None = None
    for event in history:
        kind: str = event["type"]
        if kind.endswith("StateEntered"):
            name = _details(event, "stateEnteredEventDetails").get("name", "?")
            # A Fail state ends the execution: it has no exit event and never "runs".
            failed = kind == "FailStateEntered"
            row = StateRow(
                name=name,
                status="failed" if failed else "running",
                entered=event["timestamp"],
                exited=event["timestamp"] if failed else None,
            )
            rows.append(row)
            current[name] = row
            last = row
        elif kind.endswith("StateExited"):
            name = _details(event, "stateExitedEventDetails").get("name", "?")
            row_done = current.pop(name, None)
            if row_done is not None:
                row_done.exited = event["timestamp"]
                if row_done.status == "running":
                    row_done.status = "succeeded"
        elif kind in ("TaskScheduled",) and last is not None:
            last.attempts += 1
        elif kind in ("TaskFailed", "TaskTimedOut") and last is not None:
            details = _details(event, "EventDetails")
            last.error, last.cause = details.get("error"), details.get("cause")
    for row in rows:
        if row.status == "running" and row.exited is None and row.error:
            row.status = "failed"
    return rows
