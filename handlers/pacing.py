"""How fast executions may be started, and the token bucket that paces them.

Every org-evaluation execution starts with a Fargate task, and each of its Task states starts
another one. Fargate meters RunTask at 20 calls a second per account and Region, burst and
sustained, and task launches with a bucket of 100 refilled at 20 a second (ECS developer guide,
"AWS Fargate throttling quotas"), while a dispatcher that
starts executions as fast as Step Functions allows would ask for far more. So starts are paced
at one rate, `DEFAULT_STARTS_PER_SECOND`, chosen so that the RunTask calls of executions started
at that pace stay under the Fargate rate: each execution makes about `RUN_TASKS_PER_EXECUTION`
RunTask calls over its life, so `starts/s x RUN_TASKS_PER_EXECUTION` must stay below
`FARGATE_RUN_TASK_RATE`, with room for retries and other tasks of the account.

This is the one setting of that pace: the container's Dispatch step reads it from
SENSO_DISPATCH_STARTS_PER_SECOND (Terraform's `dispatch_starts_per_second`), and the CLI's bulk
starts default to it. `RateLimiter` lives here, not in senso_cli, so both share it.

The dispatcher state machine (asl/dispatcher-workflow.json) bounds executions in flight
instead: its distributed Map starts `max_concurrency` children at once, each of which launches
a task straight away, so that first wave must fit Fargate's launch bucket
(`check_max_concurrency`); RunTask calls above 20 in that second are throttled and retried by
every Task's ECS retrier, and after the first wave children start only as others finish.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

FARGATE_RUN_TASK_RATE = 20.0  # RunTask calls a second (Fargate), burst and sustained
FARGATE_RUN_TASK_BURST = 100  # task launches Fargate accepts at once (its launch bucket)
RUN_TASKS_PER_EXECUTION = 7  # one per Task state on a run's path, plus a retry's worth
DEFAULT_STARTS_PER_SECOND = 2.0  # 2 x 7 = 14 RunTask/s: under 20 with room for retries
STARTS_PER_SECOND_VAR = "SENSO_DISPATCH_STARTS_PER_SECOND"


def starts_per_second(environ: Mapping[str, str]) -> float:
    """The configured pace, or the default; a bad value is an error, not a silent default."""
    raw = environ.get(STARTS_PER_SECOND_VAR)
    if raw is None or not raw.strip():
        return DEFAULT_STARTS_PER_SECOND
    try:
        rate = float(raw)
    except ValueError:
        raise ValueError(f"{STARTS_PER_SECOND_VAR}={raw!r} is not a number") from None
    if not 0 < rate <= FARGATE_RUN_TASK_RATE / RUN_TASKS_PER_EXECUTION:
        raise ValueError(
            f"{STARTS_PER_SECOND_VAR}={raw} must be above 0 and at most "
            f"{FARGATE_RUN_TASK_RATE / RUN_TASKS_PER_EXECUTION:.2f} (Fargate's RunTask rate "
            f"{FARGATE_RUN_TASK_RATE:.0f}/s over {RUN_TASKS_PER_EXECUTION} tasks per execution)"
        )
    return rate


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


def check_max_concurrency(max_concurrency: int) -> int:
    """The dispatcher's concurrency, refused when its first wave of RunTask calls (one per
    child started at once) would not fit Fargate's burst."""
    from handlers.errors import InvalidInputError

    if not 1 <= max_concurrency <= FARGATE_RUN_TASK_BURST:
        raise InvalidInputError(
            f"max concurrency must be 1 to {FARGATE_RUN_TASK_BURST}, got {max_concurrency}",
            hint=f"each execution starts with a Fargate task; Fargate accepts a burst of "
            f"{FARGATE_RUN_TASK_BURST} RunTask calls (handlers/pacing.py)",
        )
    return max_concurrency
