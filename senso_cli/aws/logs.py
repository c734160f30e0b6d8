"""The CloudWatch Logs calls senso makes: search, list streams, read a stream, live tail.

Events come back as `LogEvent` with UTC datetimes whatever API produced them. FilterLogEvents
gives every event an id; GetLogEvents and StartLiveTail do not, so those events get a stable
fingerprint of their content as `event_id`, which is what de-duplication needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, EndpointConnectionError, EventStreamError

from senso_cli.aws.errors import (
    AwsNotFoundError,
    LiveTailUnsupportedError,
    error_code,
    translate_errors,
)

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

# Errors that mean "live tail is not available to this caller here"; polling still works.
_LIVE_TAIL_UNAVAILABLE = frozenset(
    {
        "UnknownOperationException",
        "UnsupportedOperationException",
        "InvalidAction",
        "NotImplemented",
        "AccessDeniedException",
        "AccessDenied",
        "LimitExceededException",
    }
)
# StartLiveTail accepts stream prefixes only when it watches a single group.
_LIVE_TAIL_PREFIX_MAX_GROUPS = 1


def to_datetime(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def to_millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime; CloudWatch Logs times must be timezone-aware")
    return round(moment.timestamp() * 1000)


def fingerprint(group: str, stream: str, timestamp_ms: int, message: str) -> str:
    """A stable id for an event whose API gave none."""
    digest = hashlib.sha256(f"{group}\0{stream}\0{timestamp_ms}\0{message}".encode())
    return f"fp-{digest.hexdigest()[:32]}"


@dataclass(frozen=True, order=True)
class LogEvent:
    """One log line. Ordering is by timestamp first, which is how followers interleave groups."""

    timestamp: datetime
    group: str
    stream: str
    message: str
    event_id: str
    ingestion_time: datetime | None = None


@dataclass(frozen=True)
class LogStream:
    name: str
    creation_time: datetime | None
    last_event_time: datetime | None


def group_name(identifier: str) -> str:
    """The log group name from a name or an ARN (arn:...:log-group:NAME[:*])."""
    if not identifier.startswith("arn:"):
        return identifier
    name = identifier.split(":log-group:", 1)[-1]
    return name.removesuffix(":*")


class LiveTailSession:
    """An open StartLiveTail stream; iterate for batches of events, close when done."""

    def __init__(self, stream: Any, *, group_names: Mapping[str, str]) -> None:
        self._stream = stream
        self._group_names = group_names

    def __iter__(self) -> Iterator[list[LogEvent]]:
        try:
            for item in self._stream:
                update = item.get("sessionUpdate")
                if update is None:
                    continue  # sessionStart only echoes the request
                # Live tail sends an update every second even when it is empty; yielding those
                # lets a follower check its stop condition without waiting for traffic.
                yield [self._event(result) for result in update.get("sessionResults", [])]
        except EventStreamError as error:
            # Sessions end after a while by design; the caller simply opens a new one.
            if error_code(error) == "SessionTimeoutException":
                return
            with translate_errors("logs", "StartLiveTail"):
                raise

    def _event(self, result: Mapping[str, Any]) -> LogEvent:
        identifier = str(result.get("logGroupIdentifier", ""))
        group = self._group_names.get(identifier, group_name(identifier))
        stream = str(result.get("logStreamName", ""))
        timestamp_ms = int(result["timestamp"])
        message = str(result.get("message", ""))
        ingestion = result.get("ingestionTime")
        return LogEvent(
            timestamp=to_datetime(timestamp_ms),
            group=group,
            stream=stream,
            message=message,
            event_id=fingerprint(group, stream, timestamp_ms, message),
            ingestion_time=to_datetime(int(ingestion)) if ingestion is not None else None,
        )

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class CloudWatchLogs:
    """A thin wrapper over the CloudWatch Logs client; every failure is an AwsError."""

    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._client = client

    def filter_log_events(
        self,
        groups: Sequence[str],
        *,
        stream_prefix: str | None = None,
        filter_pattern: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[LogEvent]:
        """Matching events from every group, all pages, interleaved by timestamp."""
        events: list[LogEvent] = []
        for group in groups:
            events.extend(
                self._filter_group(group, stream_prefix, filter_pattern, start, end, limit)
            )
        events.sort()
        return events[:limit] if limit is not None else events

    def _filter_group(
        self,
        group: str,
        stream_prefix: str | None,
        filter_pattern: str | None,
        start: datetime | None,
        end: datetime | None,
        limit: int | None,
    ) -> Iterator[LogEvent]:
        kwargs: dict[str, Any] = {"logGroupName": group}
        if stream_prefix:
            kwargs["logStreamNamePrefix"] = stream_prefix
        if filter_pattern:
            kwargs["filterPattern"] = filter_pattern
        if start is not None:
            kwargs["startTime"] = to_millis(start)
        if end is not None:
            kwargs["endTime"] = to_millis(end)
        paginator = self._client.get_paginator("filter_log_events")
        seen = 0
        with translate_errors("logs", "FilterLogEvents"):
            for page in paginator.paginate(**kwargs):
                for raw in page.get("events", []):
                    yield LogEvent(
                        timestamp=to_datetime(raw["timestamp"]),
                        group=group,
                        stream=raw["logStreamName"],
                        message=raw["message"],
                        event_id=raw["eventId"],
                        ingestion_time=to_datetime(raw["ingestionTime"])
                        if "ingestionTime" in raw
                        else None,
                    )
                    seen += 1
                    # Pages can hold up to 10,000 events; stop reading once we have enough.
                    if limit is not None and seen >= limit:
                        return

    def describe_log_streams(
        self, group: str, *, prefix: str | None = None, limit: int | None = None
    ) -> list[LogStream]:
        """The group's streams (optionally by name prefix), all pages."""
        kwargs: dict[str, Any] = {"logGroupName": group}
        if prefix:
            kwargs["logStreamNamePrefix"] = prefix
        streams: list[LogStream] = []
        paginator = self._client.get_paginator("describe_log_streams")
        with translate_errors("logs", "DescribeLogStreams"):
            for page in paginator.paginate(**kwargs):
                for raw in page.get("logStreams", []):
                    created = raw.get("creationTime")
                    last = raw.get("lastEventTimestamp")
                    streams.append(
                        LogStream(
                            name=raw["logStreamName"],
                            creation_time=to_datetime(created) if created else None,
                            last_event_time=to_datetime(last) if last else None,
                        )
                    )
                    if limit is not None and len(streams) >= limit:
                        return streams
        return streams

    def get_log_events(
        self,
        group: str,
        stream: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[LogEvent]:
        """One stream's events oldest first, following forward tokens to the end."""
        kwargs: dict[str, Any] = {
            "logGroupName": group,
            "logStreamName": stream,
            "startFromHead": True,
        }
        if start is not None:
            kwargs["startTime"] = to_millis(start)
        if end is not None:
            kwargs["endTime"] = to_millis(end)
        events: list[LogEvent] = []
        token: str | None = None
        with translate_errors("logs", "GetLogEvents"):
            while True:
                if token:
                    kwargs["nextToken"] = token
                page = self._client.get_log_events(**kwargs)
                for raw in page.get("events", []):
                    timestamp_ms = raw["timestamp"]
                    message = raw["message"]
                    events.append(
                        LogEvent(
                            timestamp=to_datetime(timestamp_ms),
                            group=group,
                            stream=stream,
                            message=message,
                            event_id=fingerprint(group, stream, timestamp_ms, message),
                            ingestion_time=to_datetime(raw["ingestionTime"])
                            if "ingestionTime" in raw
                            else None,
                        )
                    )
                if limit is not None and len(events) >= limit:
                    return events[:limit]
                # The API signals the end by handing back the token it was given.
                next_token = page.get("nextForwardToken")
                if not next_token or next_token == token:
                    return events
                token = next_token

    def group_arns(self, groups: Sequence[str]) -> dict[str, str]:
        """Map each group name to its ARN (StartLiveTail wants ARNs, not names)."""
        arns: dict[str, str] = {}
        paginator = self._client.get_paginator("describe_log_groups")
        with translate_errors("logs", "DescribeLogGroups"):
            for group in groups:
                if group.startswith("arn:"):
                    arns[group] = group.removesuffix(":*")
                    continue
                for page in paginator.paginate(logGroupNamePrefix=group):
                    for raw in page.get("logGroups", []):
                        if raw.get("logGroupName") == group:
                            arn = raw.get("logGroupArn") or raw.get("arn", "").removesuffix(":*")
                            arns[group] = arn
        missing = [group for group in groups if group not in arns]
        if missing:
            raise AwsNotFoundError(
                f"Log group not found: {', '.join(missing)}",
                service="logs",
                action="DescribeLogGroups",
            )
        return arns

    def start_live_tail(
        self,
        groups: Sequence[str],
        *,
        stream_prefix: str | None = None,
        filter_pattern: str | None = None,
    ) -> LiveTailSession:
        """Open a live tail over `groups`, or raise LiveTailUnsupportedError so callers poll.

        With a stream prefix and several groups the API refuses the prefix; that combination
        is reported as unsupported too, because polling can honour it.
        """
        if stream_prefix and len(groups) > _LIVE_TAIL_PREFIX_MAX_GROUPS:
            raise LiveTailUnsupportedError(
                "Live tail cannot filter stream prefixes across several log groups",
                service="logs",
                action="StartLiveTail",
            )
        arns = self.group_arns(groups)
        kwargs: dict[str, Any] = {"logGroupIdentifiers": list(arns.values())}
        if stream_prefix:
            kwargs["logStreamNamePrefixes"] = [stream_prefix]
        if filter_pattern:
            kwargs["logEventFilterPattern"] = filter_pattern
        try:
            response = self._client.start_live_tail(**kwargs)
        except ClientError as error:
            if error_code(error) in _LIVE_TAIL_UNAVAILABLE:
                raise LiveTailUnsupportedError(
                    f"Live tail unavailable: {error}",
                    service="logs",
                    action="StartLiveTail",
                    code=error_code(error),
                ) from error
            with translate_errors("logs", "StartLiveTail"):
                raise
        except (EndpointConnectionError, NotImplementedError) as error:
            # The streaming endpoint does not exist in every partition or local emulator.
            raise LiveTailUnsupportedError(
                f"Live tail unavailable: {error}", service="logs", action="StartLiveTail"
            ) from error
        return LiveTailSession(
            response["responseStream"], group_names={arn: name for name, arn in arns.items()}
        )
