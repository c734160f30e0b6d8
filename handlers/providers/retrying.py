"""Retries of one provider request: exponential backoff with jitter, transient errors only.

Only `ProviderTransientError` is retried (429, 5xx, timeouts, dropped connections); a
permanent failure surfaces at once. When the server said how long to wait (`retry_after`), that
is a floor under the backoff, so we never come back before it asked; a server asking for more
than `max_retry_after_s` gets its error re-raised at once instead, so one request never takes
more than its attempts' timeouts plus the longer of `max_backoff_s` and `max_retry_after_s`
per retry (handlers.matrix.budget counts on that), and the matrix step's per-cell retry
honours the longer wait. Attempts are bounded; the
last transient error is re-raised unchanged for the caller (the step's own retry policy).
The SDKs' built-in retries are switched off so that this is the one place retries happen.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.stop import stop_base

from handlers.errors import ProviderTransientError
from handlers.providers.config import RetryConfig

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one request is retried."""

    max_attempts: int = 5
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    jitter_s: float = 1.0
    max_retry_after_s: float = 60.0

    @classmethod
    def from_config(cls, config: RetryConfig) -> RetryPolicy:
        return cls(
            max_attempts=config.max_attempts,
            initial_backoff_s=config.initial_backoff_s,
            max_backoff_s=config.max_backoff_s,
            jitter_s=config.jitter_s,
            max_retry_after_s=config.max_retry_after_s,
        )

    def backoff(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Backoff after the `attempt`-th failure (1-based), jitter included."""
        exponential = self.initial_backoff_s * 2.0 ** (attempt - 1)
        jitter = 0.0
        if self.jitter_s > 0:
            jitter = float((rng or random).uniform(0, self.jitter_s))
        return min(self.max_backoff_s, exponential + jitter)


def _wait_for(policy: RetryPolicy, rng: random.Random | None) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        delay = policy.backoff(state.attempt_number, rng=rng)
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, ProviderTransientError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    return wait


class _AsksTooLong(stop_base):
    """Stop when the server's Retry-After is longer than a request may wait for it."""

    def __init__(self, max_wait_s: float) -> None:
        self.max_wait_s = max_wait_s

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        return (
            isinstance(error, ProviderTransientError)
            and error.retry_after is not None
            and error.retry_after > self.max_wait_s
        )


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `call`, retrying `ProviderTransientError` per `policy`; other errors pass through."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts) | _AsksTooLong(policy.max_retry_after_s),
        wait=_wait_for(policy, rng),
        retry=retry_if_exception_type(ProviderTransientError),
        sleep=sleep,
        reraise=True,
    )
    return retrying(call)
