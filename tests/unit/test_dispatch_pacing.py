"""Starts are paced under Fargate's RunTask rate (handlers/pacing.py).

Each execution asks Fargate for a task at once and for one per later Task state; Fargate takes
about 20 RunTask calls a second. The Dispatch step's starts go through one token bucket (of
one) at the configured rate, so no window of T seconds holds more than rate x T + 1 starts.
"""

from __future__ import annotations

import bisect
from typing import Any

import pytest

from handlers.errors import InvalidInputError
from handlers.executions import dispatcher_input
from handlers.pacing import (
    DEFAULT_STARTS_PER_SECOND,
    FARGATE_RUN_TASK_BURST,
    FARGATE_RUN_TASK_RATE,
    RUN_TASKS_PER_EXECUTION,
    STARTS_PER_SECOND_VAR,
    RateLimiter,
    starts_per_second,
)
from handlers.steps.dispatch import Boto3Executions, services_from_environment

ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-org-evaluation"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RecordingStepFunctions:
    """StartExecution that notes when each call arrived, and takes a little time itself."""

    def __init__(self, clock: FakeClock, latency: float) -> None:
        self.clock = clock
        self.latency = latency
        self.calls: list[float] = []

    def start_execution(self, **request: Any) -> dict[str, Any]:
        self.calls.append(self.clock())
        self.clock.sleep(self.latency)
        return {"executionArn": f"{ARN.replace('stateMachine', 'execution')}:{request['name']}"}


def busiest(times: list[float], window: float) -> int:
    """The most calls in any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, t + window - 1e-9) - i for i, t in enumerate(ordered))


@pytest.mark.parametrize("rate", [DEFAULT_STARTS_PER_SECOND, 2.5, 0.5])
@pytest.mark.parametrize("latency", [0.0, 0.05])
def test_500_starts_never_exceed_the_configured_rate(rate: float, latency: float) -> None:
    clock = FakeClock()
    client = RecordingStepFunctions(clock, latency)
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    executions = Boto3Executions(client, ARN, sleep=clock.sleep, limiter=limiter)
    for n in range(500):
        executions.start(f"org-{n}-20261201-a1", {"org_id": str(n)})
    assert len(client.calls) == 500
    # A token bucket of one: any window of T seconds holds at most rate x T starts, plus the
    # one the bucket starts with (Fargate's own limit is a bucket too: 20/s, burst 100).
    for window in (1.0, 10.0, 60.0):
        assert busiest(client.calls, window) <= rate * window + 1, window
    if rate == int(rate):
        assert busiest(client.calls, 1.0) <= rate
    # Paced, not stalled: 500 starts take about 500 / rate seconds.
    assert client.calls[-1] - client.calls[0] == pytest.approx(499 / rate, rel=0.01)


def test_the_default_keeps_the_runtask_calls_under_fargates_rate() -> None:
    assert DEFAULT_STARTS_PER_SECOND * RUN_TASKS_PER_EXECUTION < FARGATE_RUN_TASK_RATE
    assert starts_per_second({}) == DEFAULT_STARTS_PER_SECOND
    assert starts_per_second({STARTS_PER_SECOND_VAR: "1.5"}) == 1.5


@pytest.mark.parametrize("value", ["fast", "0", "-1", "20"])
def test_a_rate_fargate_cannot_sustain_or_nonsense_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=STARTS_PER_SECOND_VAR):
        starts_per_second({STARTS_PER_SECOND_VAR: value})
    environ = {"SENSO_STATE_MACHINE_ARN": ARN, "AWS_REGION": "us-east-1",
               STARTS_PER_SECOND_VAR: value}  # fmt: skip
    with pytest.raises(InvalidInputError, match=STARTS_PER_SECOND_VAR):
        services_from_environment(environ)


def test_the_container_paces_at_the_configured_rate() -> None:
    environ = {"SENSO_STATE_MACHINE_ARN": ARN, "AWS_REGION": "us-east-1",
               STARTS_PER_SECOND_VAR: "1.25"}  # fmt: skip
    services = services_from_environment(environ)
    assert isinstance(services.executions, Boto3Executions)
    assert services.executions._limiter.rate == 1.25


@pytest.mark.parametrize("concurrency", [0, FARGATE_RUN_TASK_BURST + 1])
def test_the_dispatchers_first_wave_must_fit_fargates_burst(concurrency: int) -> None:
    """The dispatcher state machine starts max_concurrency executions at once, each with a
    RunTask straight away."""
    from datetime import date

    orgs = [("o-1", "org-o-1-20261201-a1")]
    with pytest.raises(InvalidInputError, match="max concurrency must be 1 to 100"):
        dispatcher_input(orgs, date(2026, 12, 1), triggered_by="t", max_concurrency=concurrency)
    document = dispatcher_input(
        orgs, date(2026, 12, 1), triggered_by="t", max_concurrency=FARGATE_RUN_TASK_BURST
    )
    assert document["max_concurrency"] == FARGATE_RUN_TASK_BURST
