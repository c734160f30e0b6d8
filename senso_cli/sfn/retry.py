"""Retry and Catch: which retrier or catcher an error selects, and how long to back off.

Matching follows the specification and the developer guide:

- retriers (and catchers) are scanned in order and the *first* whose ``ErrorEquals`` matches is
  used; once that retrier has spent its ``MaxAttempts`` the error goes to the catchers, even if
  a later retrier would also match;
- ``States.ALL`` matches any error but ``States.Runtime`` and ``States.DataLimitExceeded``;
- ``States.TaskFailed`` matches any error except the timeouts;
- ``States.Timeout`` also matches ``States.HeartbeatTimeout`` (a heartbeat timeout *is* a task
  timeout in the spec's definition of States.Timeout);
- ``States.Runtime`` is never retried or caught, even when named explicitly;
- ``States.BranchFailed`` additionally matches any error that escaped a Parallel branch or Map
  iteration (the branch's own error name is what propagates, as AWS reports it).

Backoff: ``IntervalSeconds * BackoffRate ** n`` for the n-th retry by that retrier (defaults 1 s,
2.0, ``MaxAttempts`` 3 where 0 means never), capped by ``MaxDelaySeconds``; with
``JitterStrategy: FULL`` the wait is uniformly random between 0 and that value.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from senso_cli.sfn.errors import (
    ALL,
    BRANCH_FAILED,
    HEARTBEAT_TIMEOUT,
    TASK_FAILED,
    TERMINAL_FOR_WILDCARDS,
    TIMEOUT,
    UNCATCHABLE,
    StatesError,
)


def error_matches(pattern: str, error: StatesError) -> bool:
    """Whether one ``ErrorEquals`` entry matches ``error``."""
    name = error.error
    if name in UNCATCHABLE:
        return False
    if pattern == name:
        return True
    if pattern == ALL:
        return name not in TERMINAL_FOR_WILDCARDS
    if pattern == TASK_FAILED:
        return name not in TERMINAL_FOR_WILDCARDS | {TIMEOUT, HEARTBEAT_TIMEOUT}
    if pattern == TIMEOUT:
        return name == HEARTBEAT_TIMEOUT
    if pattern == BRANCH_FAILED:
        return error.from_branch
    return False


def first_match(handlers: Sequence[Mapping[str, Any]], error: StatesError) -> int | None:
    """Index of the first retrier/catcher whose ErrorEquals matches ``error``."""
    for index, handler in enumerate(handlers):
        if any(error_matches(pattern, error) for pattern in handler.get("ErrorEquals", ())):
            return index
    return None


@dataclass(frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_full: bool = False

    @classmethod
    def from_definition(cls, retrier: Mapping[str, Any]) -> Retrier:
        return cls(
            error_equals=tuple(retrier["ErrorEquals"]),
            interval_seconds=float(retrier.get("IntervalSeconds", 1)),
            max_attempts=int(retrier.get("MaxAttempts", 3)),
            backoff_rate=float(retrier.get("BackoffRate", 2.0)),
            max_delay_seconds=(
                float(retrier["MaxDelaySeconds"]) if "MaxDelaySeconds" in retrier else None
            ),
            jitter_full=retrier.get("JitterStrategy", "NONE") == "FULL",
        )

    def delay(self, retries_done: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retries_done + 1`` of this retrier."""
        delay = self.interval_seconds * self.backoff_rate**retries_done
        if self.max_delay_seconds is not None:
            delay = min(delay, self.max_delay_seconds)
        return rng.uniform(0.0, delay) if self.jitter_full else delay


class RetryBudget:
    """The retry counters of one entry into a state (they restart when the state is re-entered)."""

    def __init__(self, retriers: Sequence[Mapping[str, Any]], rng: random.Random) -> None:
        self._definitions = list(retriers)
        self._retriers = [Retrier.from_definition(retrier) for retrier in retriers]
        self._used = [0] * len(self._retriers)
        self._rng = rng
        self.total = 0

    def next_delay(self, error: StatesError) -> float | None:
        """Seconds to wait before retrying after ``error``, or None when it must not be retried."""
        index = first_match(self._definitions, error)
        if index is None:
            return None
        retrier = self._retriers[index]
        if self._used[index] >= retrier.max_attempts:
            return None
        delay = retrier.delay(self._used[index], self._rng)
        self._used[index] += 1
        self.total += 1
        return delay
