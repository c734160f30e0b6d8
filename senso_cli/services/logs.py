"""Log lines for `senso logs`: CloudWatch on AWS, the recorded history locally.

On AWS two groups are interleaved by `LogFollower`: the step handlers' group (JSON lines with
`execution_id`, `step`, `org_id`, `batch_id`, `level`, `message`) and the state machine's group
(Step Functions' own JSON events with `type`, `execution_arn` and `details`). Both become
`LogLine`s, and the filters (execution, org, step, level) work on their fields, so
`--execution` narrows to that execution's task streams without knowing the task ids.

Locally the runtime records every history event in PostgreSQL (`sfn_history_events`); those
are the log lines. The handlers' own JSON lines are not recorded locally: the in-process
runner (senso_cli.local) would have to capture them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from senso_cli.aws.logfollow import LogFollower
from senso_cli.aws.logs import CloudWatchLogs, LogEvent

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
_FAILURE_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_HANDLER_KEYS = {"timestamp", "level", "message", "step", "org_id", "execution_id", "batch_id"}


@dataclass(frozen=True)
class LogLine:
    timestamp: datetime
    source: str  # handler | state_machine
    level: str
    message: str
    event_id: str
    step: str | None = None
    org_id: str | None = None
    execution: str | None = None  # execution ARN
    batch_id: str | None = None
    stream: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp.isoformat(),
            "source": self.source,
            "level": self.level,
            "message": self.message,
            "step": self.step,
            "org_id": self.org_id,
            "execution": self.execution,
            "batch_id": self.batch_id,
            "stream": self.stream,
            **({"fields": self.fields} if self.fields else {}),
        }


@dataclass(frozen=True)
class LogFilters:
    execution: str | None = None  # ARN or name
    org_id: str | None = None
    step: str | None = None
    level: str | None = None

    def __post_init__(self) -> None:
        if self.level is not None and self.level.upper() not in LEVELS:
            raise InvalidInputError(
                f"--level {self.level!r} is not a level", hint="DEBUG, INFO, WARNING or ERROR"
            )

    def matches(self, line: LogLine) -> bool:
        if self.execution is not None:
            if line.execution is None:
                return False
            if self.execution not in (line.execution, line.execution.rsplit(":", 1)[-1]):
                return False
        if self.org_id is not None and line.org_id != self.org_id:
            in_name = line.execution is not None and f":org-{self.org_id}-" in line.execution
            if not in_name:
                return False
        if self.step is not None and (line.step or "").lower() != self.step.lower():
            return False
        if self.level is not None:
            return LEVELS.get(line.level, 20) >= LEVELS[self.level.upper()]
        return True


class StateTracker:
    """Task events carry no state name; they belong to the state the execution last entered."""

    def __init__(self) -> None:
        self._current: dict[str, str] = {}

    def step_for(self, execution: str | None, event_type: str, details: dict[str, Any]) -> Any:
        name = details.get("name")
        if execution is None:
            return name
        if name and event_type.endswith("StateEntered"):
            self._current[execution] = name
        return name or self._current.get(execution)


def _event_level(event_type: str) -> str:
    return "ERROR" if event_type.endswith(_FAILURE_SUFFIXES) else "INFO"


def _event_message(event_type: str, step: str | None, details: dict[str, Any]) -> str:
    text = event_type + (f" {step}" if step else "")
    if details.get("error"):
        text += f": {details['error']}"
        if details.get("cause"):
            text += f": {details['cause']}"
    return text


def parse_event(event: LogEvent, tracker: StateTracker) -> LogLine:
    """A CloudWatch event from either group as a LogLine (plain text lines are kept as is)."""
    try:
        record = json.loads(event.message)
    except ValueError:
        record = None
    base: dict[str, Any] = {
        "timestamp": event.timestamp,
        "event_id": event.event_id,
        "stream": event.stream,
    }
    if not isinstance(record, dict):
        return LogLine(source="handler", level="INFO", message=event.message.rstrip(), **base)
    if "execution_arn" in record and "type" in record:
        details = record.get("details") or {}
        execution = str(record["execution_arn"])
        kind = str(record["type"])
        step = tracker.step_for(execution, kind, details)
        return LogLine(
            source="state_machine",
            level=_event_level(kind),
            message=_event_message(kind, step, details),
            step=step,
            execution=execution,
            **base,
        )
    return LogLine(
        source="handler",
        level=str(record.get("level", "INFO")).upper(),
        message=str(record.get("message", "")),
        step=record.get("step"),
        org_id=record.get("org_id"),
        execution=record.get("execution_id"),
        batch_id=record.get("batch_id"),
        fields={k: v for k, v in record.items() if k not in _HANDLER_KEYS},
        **base,
    )


@dataclass
class AwsLogSource:
    """The filtered lines of the handler and state machine groups, followed or not."""

    follower: LogFollower
    filters: LogFilters

    @property
    def fallback_reason(self) -> str | None:
        """Why live tail was not used (polling instead), once known."""
        return self.follower.fallback_reason

    def __iter__(self) -> Iterator[LogLine]:
        tracker = StateTracker()
        for event in self.follower:
            line = parse_event(event, tracker)
            if self.filters.matches(line):
                yield line


def aws_source(
    logs: CloudWatchLogs,
    groups: list[str],
    filters: LogFilters,
    *,
    since: datetime,
    follow: bool,
    filter_pattern: str | None = None,
    live: bool = True,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 2.0,
    max_polls: int | None = None,
) -> AwsLogSource:
    if not groups:
        raise InvalidInputError(
            "the environment names no log groups",
            hint="run `senso env import-terraform` (handler_log_group, state_machine_log_group)",
        )
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}
    follower = LogFollower(
        logs,
        groups,
        start=since,
        filter_pattern=filter_pattern,
        sleep=sleep,
        poll_interval=poll_interval,
        max_polls=max_polls if follow else 1,
        live=live and follow,
        **extra,
    )
    return AwsLogSource(follower, filters)


@dataclass
class LocalLogSource:
    """The local runtime's lines (history events and the handlers' stored JSON lines)."""

    db: Database
    filters: LogFilters
    since: datetime
    follow: bool = False
    sleep: Callable[[float], None] = time.sleep
    poll_interval: float = 1.0
    max_polls: int | None = None
    fallback_reason: str | None = None  # nothing to fall back from locally

    def __iter__(self) -> Iterator[LogLine]:
        return local_lines(
            self.db,
            self.filters,
            since=self.since,
            follow=self.follow,
            sleep=self.sleep,
            poll_interval=self.poll_interval,
            max_polls=self.max_polls,
        )


LogSource = LocalLogSource | AwsLogSource


def local_lines(
    db: Database,
    filters: LogFilters,
    *,
    since: datetime,
    follow: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    poll_interval: float = 1.0,
    max_polls: int | None = None,
    overlap: timedelta = timedelta(seconds=5),
) -> Iterator[LogLine]:
    """The local runtime's history events as log lines, oldest first; followed by polling."""
    seen: set[tuple[str, int, int]] = set()
    seen_logs: set[int] = set()
    tracker = StateTracker()
    window = since
    polls = 0
    while True:
        with db.connect() as conn:
            rows = conn.execute(
                """SELECT e.execution_arn, e.event_id, e.redrive_count, e.event_type,
                          e.timestamp, e.details, x.org_id
                   FROM senso.sfn_history_events e JOIN senso.sfn_executions x USING (execution_arn)
                   WHERE e.timestamp >= %s
                   ORDER BY e.timestamp, e.execution_arn, e.redrive_count, e.event_id""",
                (window,),
            ).fetchall()
        polls += 1
        batch: list[LogLine] = []
        for row in rows:
            key = (row["execution_arn"], row["redrive_count"], row["event_id"])
            if key in seen:
                continue
            seen.add(key)
            details: dict[str, Any] = {}
            for value in (row["details"] or {}).values():
                if isinstance(value, dict):
                    details.update(value)
            kind = row["event_type"]
            step = tracker.step_for(row["execution_arn"], kind, details)
            line = LogLine(
                timestamp=row["timestamp"].astimezone(UTC),
                source="state_machine",
                level=_event_level(kind),
                message=_event_message(kind, step, details),
                event_id=f"{row['redrive_count']}.{row['event_id']}",
                step=step,
                org_id=str(row["org_id"]) if row["org_id"] else None,
                execution=row["execution_arn"],
            )
            if filters.matches(line):
                batch.append(line)
            window = max(window, line.timestamp - overlap)
        batch += [line for line in _step_log_lines(db, since, seen_logs) if filters.matches(line)]
        # Interleave the state machine's events and the handlers' lines by time, as on AWS.
        yield from sorted(batch, key=lambda line: line.timestamp)
        if not follow or (max_polls is not None and polls >= max_polls):
            return
        sleep(poll_interval)


def _step_log_lines(db: Database, since: datetime, seen: set[int]) -> Iterator[LogLine]:
    """The handlers' own JSON log lines the local runtime stored (CloudWatch's twin)."""
    last = max(seen) if seen else 0
    with db.connect() as conn:
        rows = conn.execute(
            """SELECT log_id, execution_arn, timestamp, level, step, org_id, batch_id, message,
                      fields
               FROM senso.step_logs WHERE timestamp >= %s AND log_id > %s ORDER BY log_id""",
            (since, last),
        ).fetchall()
    for row in rows:
        seen.add(row["log_id"])
        yield LogLine(
            timestamp=row["timestamp"].astimezone(UTC),
            source="handler",
            level=row["level"],
            message=row["message"],
            event_id=f"log.{row['log_id']}",
            step=row["step"],
            org_id=row["org_id"],
            execution=row["execution_arn"],
            batch_id=row["batch_id"],
            fields=row["fields"] or {},
        )
