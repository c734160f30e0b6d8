"""Execution history: AWS-shaped events with ids unique and increasing across threads.

Each event is a dict shaped like an item of ``GetExecutionHistory``'s ``events``::

    {"timestamp": datetime, "type": "TaskStateEntered", "id": 3, "previousEventId": 2,
     "stateEnteredEventDetails": {"name": "Work", "input": "{...}", "inputDetails": {...}}}

Ids come from one counter under a lock, and the callback runs under that lock too, so callers
see events in id order even when Parallel branches and Map iterations emit concurrently.
``previousEventId`` follows the thread of control that emitted the event (a ``Cursor``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

HistoryEvent = dict[str, Any]


def to_json(value: Any) -> str:
    """JSON text as the Step Functions API carries inputs and outputs."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Cursor:
    """The id of the last event on one thread of control (the execution, a branch...)."""

    def __init__(self, last: int = 0) -> None:
        self.last = last

    def fork(self) -> Cursor:
        return Cursor(self.last)


class History:
    def __init__(
        self, on_event: Callable[[HistoryEvent], None] | None, clock: Callable[[], datetime]
    ) -> None:
        self._on_event = on_event
        self._clock = clock
        self._lock = threading.Lock()
        self._next_id = 1
        self._closed = False

    def emit(
        self, cursor: Cursor, event_type: str, details_key: str | None = None, details: Any = None
    ) -> int:
        """Record one event after ``cursor``'s last; once closed, events are dropped."""
        with self._lock:
            if self._closed:
                return cursor.last
            return self._emit(cursor, event_type, details_key, details)

    def close(
        self, cursor: Cursor, event_type: str, details_key: str | None = None, details: Any = None
    ) -> bool:
        """Record the execution's final event and drop any later one; False if already closed."""
        with self._lock:
            if self._closed:
                return False
            self._emit(cursor, event_type, details_key, details)
            self._closed = True
            return True

    def _emit(self, cursor: Cursor, event_type: str, details_key: str | None, details: Any) -> int:
        event: HistoryEvent = {
            "timestamp": self._clock(),
            "type": event_type,
            "id": self._next_id,
            "previousEventId": cursor.last,
        }
        if details_key is not None:
            event[details_key] = details
        cursor.last = self._next_id
        self._next_id += 1
        if self._on_event is not None:
            self._on_event(event)
        return cursor.last


def payload_details(key: str, value: Any, text: str | None = None) -> dict[str, Any]:
    """``{"input": "...", "inputDetails": {"truncated": False}}`` (or output); ``text`` is the
    value's JSON when the caller already has it."""
    return {key: to_json(value) if text is None else text, f"{key}Details": {"truncated": False}}
