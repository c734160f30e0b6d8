"""Client-side pacing of one provider: requests and tokens per minute, and server pauses.

One `RateLimiter` per provider is shared by every thread that calls it. It keeps a sliding
60-second window of granted requests (and their token estimates) so no window ever holds more
than `rpm` requests or `tpm` tokens, caps calls in flight at `max_concurrency`, and pauses every
caller when the server says so: `Retry-After` / `retry-after-ms`, or an exhausted
`x-ratelimit-remaining-*` with its `x-ratelimit-reset-*` duration ("1s", "6m0s", "20ms").

The server stamps a request into its window when it arrives, a little after our grant; a
refusal (429) tells how much, and entries then stay that much longer (`skew_s`). A reset from
`x-ratelimit-reset-*` counts from when the request was sent, and a token budget counts as
exhausted once it cannot take a request of the size just sent.

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
MAX_SKEW_FRACTION = 0.05
"""The most of a window the limiter will add as learned skew (see `RateLimiter.skew_s`)."""

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


def exhausted_reset(headers: Mapping[str, str], *, request_tokens: int = 0) -> float | None:
    """Seconds until an exhausted budget resets, by `x-ratelimit-*`; None when none is.

    A budget is exhausted when what remains cannot take one more request: no request left, or
    fewer tokens left than `request_tokens` (the size of the request just answered, the best
    guess of the next one's). Waiting only for exactly zero tokens would almost never trigger:
    a token budget is rarely spent to the last token, so the next request would be sent into a
    full window and rejected.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    needed = {"requests": 1.0, "tokens": float(max(1, request_tokens))}
    resets: list[float] = []
    for kind in ("requests", "tokens"):
        remaining = lowered.get(f"x-ratelimit-remaining-{kind}")
        reset = lowered.get(f"x-ratelimit-reset-{kind}")
        if remaining is None or reset is None:
            continue
        try:
            exhausted = float(remaining) < needed[kind]
        except ValueError:
            continue
        if exhausted:
            resets.append(parse_duration(reset) or 0.0)
    return max(resets) if resets else None


def pause_from_headers(headers: Mapping[str, str], *, now: float, request_tokens: int = 0) -> float:
    """How long the server wants every caller to hold off (0 when it does not)."""
    retry = retry_after_from_headers(headers, now=now) or 0.0
    return max(retry, exhausted_reset(headers, request_tokens=request_tokens) or 0.0)


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

    def rejected(self, retry_after: float | None) -> None:
        """The server refused this call for its rate limit (429); the limiter learns from it."""
        self.limiter._learn_skew(self, retry_after)


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
        # How much later than our grant the server stamps a request into its own window. We
        # stamp at grant, the server on arrival: a slot we reuse the instant it leaves our
        # window can still be occupied in the server's, and that request is refused. Zero
        # until a 429 shows the lag; then every entry stays that much longer.
        self.skew_s = 0.0

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

    def observe_headers(
        self,
        headers: Mapping[str, str],
        *,
        request_tokens: int = 0,
        sent_at: float | None = None,
    ) -> float:
        """Apply the server's pause hints from a response's headers; returns the pause set.

        `request_tokens` is the size of the request answered (see `exhausted_reset`). `sent_at`
        is when that request was granted, on this limiter's clock: the server works out its
        `x-ratelimit-reset-*` when the request arrives, so the reset counts from then (plus
        the learned skew), not from when the answer came back. Counted from the answer, every
        pause overshot by the answer's latency, seconds per window with web-search answers.
        `Retry-After` counts from the response, as HTTP defines it.
        """
        retry = retry_after_from_headers(headers, now=self._wall_clock()) or 0.0
        reset = exhausted_reset(headers, request_tokens=request_tokens)
        with self._lock:
            now = self._clock()
            until = now + retry
            if reset is not None:
                start = now if sent_at is None else sent_at + self.skew_s
                until = max(until, start + reset)
            self._paused_until = max(self._paused_until, until)
        return max(0.0, until - now)

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
    def slot(self, estimated_tokens: int = 0, *, org: str | None = None) -> Iterator[Reservation]:
        """`acquire` plus a concurrency slot held for the duration of the call.

        `org` is accepted for the `Limiter` protocol and not used: inside one process, callers
        are served in lock order (the fleet-wide limiter is the one that is fair across orgs).
        """
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

    def _learn_skew(self, reservation: Reservation, retry_after: float | None) -> None:
        """Widen `skew_s` to cover the lag a rate-limit refusal revealed.

        We granted the call because our oldest entry had left our window; the server still
        held it for another `retry_after`. Its stamp was therefore at most (our grant to the
        refusal) + `retry_after` after ours. A refusal that lag cannot explain (a long
        Retry-After, as when the account is out of quota or the service is overloaded) is not
        skew, and the pause it set is the answer to it: it must not slow the rest of the run.
        """
        with self._lock:
            observed = (self._clock() - reservation.granted_at) + (retry_after or 0.0)
            if observed <= self.window_s * MAX_SKEW_FRACTION:
                # Twice the lag seen: the lag varies from request to request, and one refusal
                # should teach enough to spare the next, for a few milliseconds of a window.
                self.skew_s = min(self.window_s * MAX_SKEW_FRACTION, max(self.skew_s, 2 * observed))

    def _lifetime(self) -> float:
        """How long an entry counts against the budget (lock held)."""
        return self.window_s + self.skew_s

    def _expire(self, now: float) -> None:
        lifetime = self._lifetime()
        while self._granted and self._granted[0][0] <= now - lifetime:
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
            waits.append(oldest + self._lifetime() - now)
        if self.tpm is not None and self._granted:
            # A single request bigger than the whole budget goes alone into an empty window
            # instead of waiting forever.
            budget = self.tpm - min(tokens, self.tpm)
            used = sum(entry[1] for entry in self._granted)
            if used > budget:
                for granted_at, spent in self._granted:
                    used -= spent
                    if used <= budget:
                        waits.append(granted_at + self._lifetime() - now)
                        break
        return max(waits)
