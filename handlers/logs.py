"""Structured logs: one JSON object per line, with step, org, batch and execution ids.

Secrets never reach a log line: `redact` masks anything that looks like a key, token or a
password inside a URL, and every line passes through it.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from typing import Any, Protocol

_PATTERNS = [
    # key=value, "key": "value" and 'key': 'value', for every name a secret goes by.
    re.compile(
        r"(?i)(api[_-]?key|token|secret|passwd|password|signing[_-]?key|event[_-]?key)"
        r"([\"']?\s*[:=]\s*[\"']?)([^\s\"',&}]+)"
    ),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-]+)"),
    # user:password@ in any URL: database URLs, HTTP basic auth.
    re.compile(r"(?i)([a-z][a-z0-9+.\-]*://[^:/\s@]+:)([^@\s]+)(@)"),
    re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,})"),
]


def redact(text: str) -> str:
    """Mask credentials in free text (error messages, causes, URLs)."""
    text = _PATTERNS[0].sub(lambda m: f"{m.group(1)}{m.group(2)}********", text)
    text = _PATTERNS[1].sub(lambda m: f"{m.group(1)}********", text)
    text = _PATTERNS[2].sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    return _PATTERNS[3].sub("sk-********", text)


class LineStream(Protocol):
    """Where log lines go: stderr in the container, a table for the local runtime."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class StepLogger:
    """A tiny JSON-lines logger bound to the ids of one step run."""

    def __init__(self, stream: LineStream | None = None, **fields: Any) -> None:
        self._stream = stream
        self._fields = {k: v for k, v in fields.items() if v is not None}

    def bind(self, **fields: Any) -> None:
        self._fields.update({k: v for k, v in fields.items() if v is not None})

    def _emit(self, level: str, message: str, extra: dict[str, Any]) -> None:
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "message": message,
            **self._fields,
            **extra,
        }
        line = redact(json.dumps(record, default=str))
        stream = self._stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def info(self, message: str, **extra: Any) -> None:
        self._emit("INFO", message, extra)

    def warning(self, message: str, **extra: Any) -> None:
        self._emit("WARNING", message, extra)

    def error(self, message: str, **extra: Any) -> None:
        self._emit("ERROR", message, extra)


def get_logger(stream: LineStream | None = None, **fields: Any) -> StepLogger:
    return StepLogger(stream, **fields)
