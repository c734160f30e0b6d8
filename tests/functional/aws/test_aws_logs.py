"""CloudWatchLogs wrapper and LogFollower against moto; every wait goes through a fake sleep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from senso_cli.aws.errors import AwsNotFoundError, LiveTailUnsupportedError
from senso_cli.aws.logfollow import LogEvent, LogFollower, SeenIds
from senso_cli.aws.logs import CloudWatchLogs

REGION = "us-east-1"
SFN_GROUP = "/senso/stepfunctions"
WORKER_GROUP = "/senso/worker"
# Recent enough that CloudWatch (and moto) accept the events; whole milliseconds.
T0 = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class LogWriter:
    """Puts events into moto the way the workflow's tasks would."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.streams: set[tuple[str, str]] = set()

    def group(self, name: str) -> None:
        self.client.create_log_group(logGroupName=name)

    def put(self, group: str, stream: str, when: datetime, message: str) -> None:
        if (group, stream) not in self.streams:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            self.streams.add((group, stream))
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": int(when.timestamp() * 1000), "message": message}],
        )


class FakeTime:
    """A clock and sleep pair: sleeping advances the clock and runs the next scripted step."""

    def __init__(self, steps: list[Callable[[], None]] | None = None) -> None:
        self.now = at(10)
        self.slept: list[float] = []
        self.steps = list(steps or [])

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.steps:
            self.steps.pop(0)()


@pytest.fixture
def raw_logs(mocked_aws: None) -> Any:
    return boto3.client("logs", region_name=REGION)


@pytest.fixture
def writer(raw_logs: Any) -> LogWriter:
    writer = LogWriter(raw_logs)
    writer.group(SFN_GROUP)
    writer.group(WORKER_GROUP)
    return writer


@pytest.fixture
def logs(raw_logs: Any) -> CloudWatchLogs:
    return CloudWatchLogs(raw_logs)


def summary(events: list[LogEvent]) -> list[tuple[str, str, str]]:
    return [(event.group, event.stream, event.message) for event in events]


def test_follow_interleaves_groups_and_picks_up_new_streams(
    logs: CloudWatchLogs, writer: LogWriter
) -> None:
    writer.put(SFN_GROUP, "states/exec-1", at(1), "ExecutionStarted")
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(2), "task a: evaluating org 7")
    writer.put(SFN_GROUP, "states/exec-1", at(3), "TaskStateEntered")

    def new_task_and_a_late_event() -> None:
        writer.put(WORKER_GROUP, "ecs/worker/task-b", at(4), "task b: evaluating org 8")
        # Ingested late: its timestamp is older than the newest event already shown.
        writer.put(SFN_GROUP, "states/exec-1", at(2.5), "late event")

    fake = FakeTime([new_task_and_a_late_event])
    follower = LogFollower(
        logs,
        [SFN_GROUP, WORKER_GROUP],
        start=T0,
        clock=fake.clock,
        sleep=fake.sleep,
        poll_interval=2.0,
        max_polls=3,
    )

    events = list(follower)

    assert summary(events) == [
        (SFN_GROUP, "states/exec-1", "ExecutionStarted"),
        (WORKER_GROUP, "ecs/worker/task-a", "task a: evaluating org 7"),
        (SFN_GROUP, "states/exec-1", "TaskStateEntered"),
        (SFN_GROUP, "states/exec-1", "late event"),
        (WORKER_GROUP, "ecs/worker/task-b", "task b: evaluating org 8"),
    ]
    assert [event.timestamp for event in events[:3]] == [at(1), at(2), at(3)]
    assert follower.polls == 3
    assert fake.slept == [2.0, 2.0]  # no sleep after the last poll
    assert follower.mode == "poll"


def test_overlapping_windows_do_not_repeat_events(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(SFN_GROUP, "states/exec-1", at(1), "one")
    writer.put(SFN_GROUP, "states/exec-1", at(2), "two")
    fake = FakeTime()
    follower = LogFollower(
        logs, [SFN_GROUP], start=T0, clock=fake.clock, sleep=fake.sleep, overlap=timedelta(60)
    )

    first = follower.poll_once()
    second = follower.poll_once()

    assert [event.message for event in first] == ["one", "two"]
    # The second window starts before "one", so AWS returns both again; both are dropped.
    assert len(logs.filter_log_events([SFN_GROUP], start=at(2) - timedelta(60))) == 2
    assert second == []
    assert len({event.event_id for event in first}) == 2


def test_stop_predicate_ends_the_follow(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(1), "done")
    fake = FakeTime()
    calls: list[int] = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) >= 2

    follower = LogFollower(
        logs, [WORKER_GROUP], start=T0, clock=fake.clock, sleep=fake.sleep, stop=stop
    )

    assert [event.message for event in follower] == ["done"]
    assert follower.polls == 2
    assert fake.slept == [1.0]


def test_stream_prefix_limits_the_follow(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(1), "wanted")
    writer.put(WORKER_GROUP, "ecs/migrate/task-z", at(2), "other task family")
    fake = FakeTime()
    follower = LogFollower(
        logs,
        [WORKER_GROUP],
        start=T0,
        stream_prefix="ecs/worker/",
        clock=fake.clock,
        sleep=fake.sleep,
        max_polls=1,
    )
    assert [event.message for event in follower] == ["wanted"]


def test_events_before_start_are_not_followed(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(SFN_GROUP, "states/exec-1", at(1), "old")
    writer.put(SFN_GROUP, "states/exec-1", at(5), "new")
    fake = FakeTime()
    follower = LogFollower(
        logs, [SFN_GROUP], start=at(3), clock=fake.clock, sleep=fake.sleep, max_polls=1
    )
    assert [event.message for event in follower] == ["new"]


def test_live_tail_follows_and_reopens_sessions(logs: CloudWatchLogs, writer: LogWriter) -> None:
    # moto 5.2 answers StartLiveTail in-process with one update holding every stored event and
    # then ends the session, which exercises backfill, de-duplication and reopening.
    writer.put(SFN_GROUP, "states/exec-1", at(1), "started")
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(2), "working")
    fake = FakeTime([lambda: writer.put(WORKER_GROUP, "ecs/worker/task-b", at(3), "new task")])
    follower = LogFollower(
        logs,
        [SFN_GROUP, WORKER_GROUP],
        start=T0,
        clock=fake.clock,
        sleep=fake.sleep,
        live=True,
        max_polls=4,
    )

    events = list(follower)

    assert summary(events) == [
        (SFN_GROUP, "states/exec-1", "started"),
        (WORKER_GROUP, "ecs/worker/task-a", "working"),
        (WORKER_GROUP, "ecs/worker/task-b", "new task"),
    ]
    assert follower.mode == "live"
    assert follower.fallback_reason is None
    assert fake.slept == [1.0]


def test_live_tail_unavailable_falls_back_to_polling(
    raw_logs: Any, logs: CloudWatchLogs, writer: LogWriter
) -> None:
    writer.put(SFN_GROUP, "states/exec-1", at(1), "started")

    def no_live_tail(**_: object) -> None:
        # What a region or emulator without the streaming API answers.
        raise ClientError(
            {"Error": {"Code": "UnknownOperationException", "Message": "Unknown operation"}},
            "StartLiveTail",
        )

    # moto supports StartLiveTail in-process, so this one call is made to fail as it does
    # where the API is absent; every other call still goes to moto.
    raw_logs.meta.events.register("before-call.cloudwatch-logs.StartLiveTail", no_live_tail)
    fake = FakeTime([lambda: writer.put(SFN_GROUP, "states/exec-1", at(4), "succeeded")])
    follower = LogFollower(
        logs, [SFN_GROUP], start=T0, clock=fake.clock, sleep=fake.sleep, live=True, max_polls=2
    )

    assert [event.message for event in follower] == ["started", "succeeded"]
    assert follower.mode == "poll"
    assert follower.fallback_reason is not None
    assert "UnknownOperationException" in follower.fallback_reason


def test_live_tail_refuses_stream_prefix_across_groups(
    logs: CloudWatchLogs, writer: LogWriter
) -> None:
    with pytest.raises(LiveTailUnsupportedError, match="several log groups"):
        logs.start_live_tail([SFN_GROUP, WORKER_GROUP], stream_prefix="ecs/")


def test_filter_log_events_merges_groups_by_time(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(2), "b")
    writer.put(SFN_GROUP, "states/exec-1", at(1), "a")
    writer.put(SFN_GROUP, "states/exec-1", at(3), "c")

    events = logs.filter_log_events([SFN_GROUP, WORKER_GROUP], start=T0)

    assert [event.message for event in events] == ["a", "b", "c"]
    assert all(event.ingestion_time is not None for event in events)
    assert [e.message for e in logs.filter_log_events([SFN_GROUP], start=T0, limit=1)] == ["a"]


def test_streams_and_stream_events(logs: CloudWatchLogs, writer: LogWriter) -> None:
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(1), "first")
    writer.put(WORKER_GROUP, "ecs/worker/task-a", at(2), "second")
    writer.put(WORKER_GROUP, "ecs/other/task-b", at(3), "elsewhere")

    streams = logs.describe_log_streams(WORKER_GROUP, prefix="ecs/worker/")
    events = logs.get_log_events(WORKER_GROUP, "ecs/worker/task-a")

    assert [stream.name for stream in streams] == ["ecs/worker/task-a"]
    assert [event.message for event in events] == ["first", "second"]
    # GetLogEvents has no event ids; the fingerprints are stable and distinct.
    assert events[0].event_id == logs.get_log_events(WORKER_GROUP, "ecs/worker/task-a")[0].event_id
    assert events[0].event_id != events[1].event_id


def test_missing_group_is_not_found(logs: CloudWatchLogs) -> None:
    with pytest.raises(AwsNotFoundError):
        logs.filter_log_events(["/senso/nope"], start=T0)
    with pytest.raises(AwsNotFoundError, match="Log group not found: /senso/nope"):
        logs.start_live_tail(["/senso/nope"])


def test_seen_ids_forget_the_oldest() -> None:
    seen = SeenIds(capacity=2)
    assert seen.add("a") and seen.add("b") and not seen.add("a")
    assert seen.add("c")
    assert len(seen) == 2
    assert seen.add("a")  # forgotten, so new again
