"""Pace bulk AWS calls: a client-side rate limiter and a bounded backoff for throttling.

trigger-batch starts thousands of executions, and each one starts Fargate tasks, whose RunTask
rate is far lower than StartExecution's. The limiter (handlers.pacing.RateLimiter, shared with
the container's Dispatch step) keeps us under a chosen rate so we rarely get throttled, and
`call_with_backoff` absorbs the throttling we still meet (exponential backoff with full
jitter, so parallel callers do not retry in lockstep).
Both take their clock and sleep as arguments so tests never wait.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from handlers.pacing import RateLimiter
from senso_cli.aws.errors import AwsThrottledError

__all__ = ["BackoffPolicy", "RateLimiter", "call_with_backoff"]

T = TypeVar("T")


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
