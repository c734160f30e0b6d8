"""Client-side pacing of one provider: requests and tokens per minute, and server pauses.

One `RateLimiter` per provider is shared by every thread that calls it. It keeps a sliding
60-second window of granted requests (and their token estimates) so no window ever holds more
than `rpm` requests or `tpm` tokens, caps calls in flight at `max_concurrency`, and pauses every
caller when the server says so: `Retry-After` / `retry-after-ms`, or an exhausted
`x-ratelimit-remaining-*` with its `x-ratelimit-reset-*` duration ("1s", "6m0s", "20ms").

Token counts are estimated before a call (the window must be charged before we know) and
reconciled with the usage the answer reports, so a stream of short answers is not throttled
by pessimistic estimates. The clock and sleep are injected, so tests run on a fake clock.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

WINDOW_S = 60.0

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def parse_duration(value: str) -> float | None:
    """Seconds in an OpenAI reset duration ("1s", "6m0s", "20ms", "1h2m3.5s", or "0.5")."""
    text = value.strip().lower()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def parse_retry_after(value: str, *, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP date (`now` = epoch)."""
    text = value.strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def retry_after_from_headers(headers: Mapping[str, str], *, now: float) -> float | None:
    """The server's requested wait in seconds, preferring the millisecond header."""
    lowered = {key.lower(): value for key, value in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    return parse_retry_after(value, now=now) if value is not None else None


def pause_from_headers(headers: Mapping[str, str], *, now: float) -> float:
    """How long the server wants every caller to hold off (0 when it does not)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    pauses = [retry_after_from_headers(lowered, now=now) or 0.0]
    for kind in ("requests", "tokens"):
        remaining = lowered.get(f"x-ratelimit-remaining-{kind}")
        reset = lowered.get(f"x-ratelimit-reset-{kind}")
        if remaining is None or reset is None:
            continue
        try:
            exhausted = float(remaining) <= 0
        except ValueError:
            continue
        if exhausted:
            pauses.append(parse_duration(reset) or 0.0)
    return max(pauses)


@dataclass
class Reservation:
    """One granted call; `settle` replaces its token estimate with the reported usage."""

    limiter: RateLimiter
    granted_at: float
    tokens: int
    _entry: list[float] = field(repr=False, default_factory=list)

    def settle(self, actual_tokens: int | None) -> None:
        if actual_tokens is not None:
            self.limiter._reconcile(self, actual_tokens)


class RateLimiter:
    """Thread-safe RPM/TPM sliding-window limiter with a concurrency cap and server pauses."""

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        max_concurrency: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        window_s: float = WINDOW_S,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        # Each entry is [granted_at, tokens]; a list so reconciliation can correct it in place.
        self._granted: deque[list[float]] = deque()
        self._paused_until = 0.0
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self.waited_s = 0.0

    @property
    def paused_until(self) -> float:
        with self._lock:
            return self._paused_until

    def pause(self, seconds: float) -> None:
        """Hold every caller off for `seconds` from now (a longer pause already set wins)."""
        if seconds <= 0:
            return
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe_headers(self, headers: Mapping[str, str]) -> float:
        """Apply the server's pause hints from a response's headers; returns the pause set."""
        seconds = pause_from_headers(headers, now=self._wall_clock())
        self.pause(seconds)
        return seconds

    def acquire(self, estimated_tokens: int = 0) -> Reservation:
        """Block until a request of `estimated_tokens` fits the window, then charge it."""
        tokens = max(0, estimated_tokens)
        while True:
            with self._lock:
                now = self._clock()
                wait = self._wait_needed(now, tokens)
                if wait <= 0:
                    entry = [now, float(tokens)]
                    self._granted.append(entry)
                    return Reservation(self, now, tokens, entry)
            # Never sleep less than a microsecond: on a large clock value a tinier step could
            # vanish in float rounding and spin forever.
            wait = max(wait, 1e-6)
            self.waited_s += wait
            self._sleep(wait)

    @contextmanager
    def slot(self, estimated_tokens: int = 0) -> Iterator[Reservation]:
        """`acquire` plus a concurrency slot held for the duration of the call."""
        if self._slots is not None:
            self._slots.acquire()
        try:
            yield self.acquire(estimated_tokens)
        finally:
            if self._slots is not None:
                self._slots.release()

    def window_usage(self) -> tuple[int, float]:
        """(requests, tokens) granted in the current window, for tests and metrics."""
        with self._lock:
            self._expire(self._clock())
            return len(self._granted), sum(entry[1] for entry in self._granted)

    def _reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        with self._lock:
            reservation._entry[1] = float(max(0, actual_tokens))
            reservation.tokens = max(0, actual_tokens)

    def _expire(self, now: float) -> None:
        while self._granted and self._granted[0][0] <= now - self.window_s:
            self._granted.popleft()

    def _wait_needed(self, now: float, tokens: int) -> float:
        """Seconds until a request of `tokens` may go; 0 when it may go now (lock held)."""
        if self._paused_until > now:
            return self._paused_until - now
        self._expire(now)
        waits = [0.0]
        if self.rpm is not None and len(self._granted) >= self.rpm:
            # The oldest request that must leave the window for one more to fit.
            oldest = self._granted[len(self._granted) - self.rpm][0]
            waits.append(oldest + self.window_s - now)
        if self.tpm is not None and self._granted:
            # A single request bigger than the whole budget goes alone into an empty window
            # instead of waiting forever.
            budget = self.tpm - min(tokens, self.tpm)
            used = sum(entry[1] for entry in self._granted)
            if used > budget:
                for granted_at, spent in self._granted:
                    used -= spent
                    if used <= budget:
                        waits.append(granted_at + self.window_s - now)
                        break
        return max(waits)
