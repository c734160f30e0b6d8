"""Pace bulk AWS calls: a client-side rate limiter and a bounded backoff for throttling.

trigger-batch starts thousands of executions; StartExecution's bucket refills at a few hundred
per second per account, shared with everything else. The limiter keeps us under a chosen rate so
we rarely get throttled, and `call_with_backoff` absorbs the throttling we still meet
(exponential backoff with full jitter, so parallel callers do not retry in lockstep).
Both take their clock and sleep as arguments so tests never wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from senso_cli.aws.errors import AwsThrottledError

T = TypeVar("T")


class RateLimiter:
    """A token bucket: at most `rate` acquisitions per second, with bursts up to `burst`."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns how long it slept."""
        self._refill()
        waited = 0.0
        if self._tokens < 1:
            wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            waited = wait
            self._refill()
            # A sleep that returns early (or a fake clock that did not move) must not let the
            # caller through without paying for the token.
            self._tokens = max(self._tokens, 1.0)
        self._tokens -= 1
        return waited


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2**n))."""

    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 10.0

    def delays(self, rng: random.Random) -> Iterator[float]:
        """The waits between attempts; one fewer than max_attempts."""
        for attempt in range(self.max_attempts - 1):
            yield rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def call_with_backoff(
    call: Callable[[], T],
    *,
    policy: BackoffPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    retry_on: tuple[type[Exception], ...] = (AwsThrottledError,),
) -> T:
    """Run `call`, retrying on throttling up to the policy's attempts; re-raises the last error."""
    chosen = policy or BackoffPolicy()
    delays = chosen.delays(rng or random.Random())  # noqa: S311 - jitter, not secrecy
    while True:
        try:
            return call()
        except retry_on:
            delay = next(delays, None)
            if delay is None:
                raise
            sleep(delay)
