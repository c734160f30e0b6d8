"""Follow several log groups at once, as `senso logs --follow` shows them.

Polling mode runs FilterLogEvents over every group each poll. Each group's window starts a
little before the newest event already seen (`overlap`), because CloudWatch ingests late and
out of order; the overlap re-reads some events, which a bounded memory of seen ids drops.
Filtering by stream prefix rather than by stream list means streams that appear mid-follow
(a new ECS task) are picked up with no extra calls.

Live mode uses StartLiveTail: one backfill pass from `start`, then the session's pushed
updates. Where live tail is unavailable (no streaming endpoint, no permission, moto's server,
a stream prefix across several groups) the follower falls back to polling and records why.

Clock, sleep and the stop conditions are injected, so tests drive a follow without waiting.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from senso_cli.aws.errors import LiveTailUnsupportedError
from senso_cli.aws.logs import CloudWatchLogs, LiveTailSession, LogEvent, fingerprint, to_millis

__all__ = ["LogEvent", "LogFollower", "SeenIds"]

FollowMode = Literal["poll", "live"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SeenIds:
    """A set that forgets its oldest entries beyond `capacity`, so a day-long follow stays small.

    The capacity only needs to cover the events inside one overlap window.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """Remember `key`; True if it was new."""
        if key in self._ids:
            return False
        self._ids[key] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._ids)


class LogFollower:
    """Yields `LogEvent`s from `groups` as they arrive, oldest first within each poll."""

    def __init__(
        self,
        logs: CloudWatchLogs,
        groups: Sequence[str],
        *,
        start: datetime,
        stream_prefix: str | None = None,
        filter_pattern: str | None = None,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        poll_interval: float = 1.0,
        overlap: timedelta = timedelta(seconds=10),
        max_polls: int | None = None,
        stop: Callable[[], bool] | None = None,
        live: bool = False,
        seen_capacity: int = 10_000,
    ) -> None:
        if not groups:
            raise ValueError("at least one log group is required")
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._logs = logs
        self.groups = list(groups)
        self.start = start
        self.stream_prefix = stream_prefix
        self.filter_pattern = filter_pattern
        self._clock = clock
        self._sleep = sleep
        self.poll_interval = poll_interval
        self.overlap = overlap
        self.max_polls = max_polls
        self._stop = stop
        self.live = live
        self._seen = SeenIds(seen_capacity)
        self._newest: dict[str, datetime] = {}
        self.polls = 0
        self.mode: FollowMode = "live" if live else "poll"
        self.fallback_reason: str | None = None

    def __iter__(self) -> Iterator[LogEvent]:
        if self.live:
            return self._follow_live()
        return self._follow_polling()

    # -- shared ---------------------------------------------------------------------------

    def _key(self, event: LogEvent) -> str:
        # Live-tail events carry no AWS event id, so a live follow keys every event, backfilled
        # or pushed, by content; a polling follow uses the ids FilterLogEvents hands out.
        if self.live:
            return fingerprint(event.group, event.stream, to_millis(event.timestamp), event.message)
        return f"{event.group}\0{event.event_id}"

    def _emit(self, events: Sequence[LogEvent]) -> Iterator[LogEvent]:
        for event in sorted(events):
            if event.timestamp < self.start:
                continue
            # A cheap guard: FilterLogEvents already filters by prefix, but emulators may not,
            # and live tail across several groups cannot.
            if self.stream_prefix and not event.stream.startswith(self.stream_prefix):
                continue
            if not self._seen.add(self._key(event)):
                continue
            newest = self._newest.get(event.group)
            if newest is None or event.timestamp > newest:
                self._newest[event.group] = event.timestamp
            yield event

    def _finished(self) -> bool:
        if self.max_polls is not None and self.polls >= self.max_polls:
            return True
        return self._stop is not None and self._stop()

    # -- polling --------------------------------------------------------------------------

    def _window_start(self, group: str, now: datetime) -> datetime:
        newest = self._newest.get(group)
        if newest is None:
            return self.start
        # Never let an event stamped in the future (a skewed producer) push the window past now.
        return max(self.start, min(newest, now) - self.overlap)

    def poll_once(self) -> list[LogEvent]:
        """One pass over every group; returns only events not seen before."""
        now = self._clock()
        batch: list[LogEvent] = []
        for group in self.groups:
            batch.extend(
                self._logs.filter_log_events(
                    [group],
                    stream_prefix=self.stream_prefix,
                    filter_pattern=self.filter_pattern,
                    start=self._window_start(group, now),
                )
            )
        self.polls += 1
        return list(self._emit(batch))

    def _follow_polling(self) -> Iterator[LogEvent]:
        while True:
            yield from self.poll_once()
            if self._finished():
                return
            self._sleep(self.poll_interval)

    # -- live tail ------------------------------------------------------------------------

    def _open_session(self) -> LiveTailSession | None:
        try:
            return self._logs.start_live_tail(
                self.groups, stream_prefix=self.stream_prefix, filter_pattern=self.filter_pattern
            )
        except LiveTailUnsupportedError as error:
            self.mode = "poll"
            self.fallback_reason = error.message
            return None

    def _follow_live(self) -> Iterator[LogEvent]:
        # Open the session before the backfill so nothing ingested in between is missed; the
        # content keys drop whatever both of them deliver.
        session = self._open_session()
        if session is None:
            yield from self._follow_polling()
            return
        yield from self.poll_once()
        if self._finished():
            session.close()
            return
        while True:
            try:
                for update in session:
                    self.polls += 1
                    yield from self._emit(update)
                    if self._finished():
                        return
            finally:
                session.close()
            # Sessions end on their own (AWS closes them after hours); count the gap as a poll
            # so a bounded follow cannot spin on sessions that end at once.
            self.polls += 1
            if self._finished():
                return
            self._sleep(self.poll_interval)
            session = self._open_session()
            if session is None:
                yield from self._follow_polling()
                return
