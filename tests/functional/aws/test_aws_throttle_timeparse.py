"""The rate limiter and backoff with a fake clock, and `--since` parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from handlers.errors import InvalidInputError
from senso_cli.aws.errors import AwsThrottledError
from senso_cli.aws.throttle import BackoffPolicy, RateLimiter, call_with_backoff
from senso_cli.aws.timeparse import parse_since

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_spaces_calls_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        limiter.acquire()

    assert clock.slept == pytest.approx([0.25, 0.25, 0.25, 0.25])
    assert clock.now == pytest.approx(101.0)


def test_rate_limiter_allows_a_burst_then_paces() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=3, clock=clock, sleep=clock.sleep)

    waits = [limiter.acquire() for _ in range(4)]

    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1])
    clock.now += 10  # idle time refills only up to the burst
    assert [limiter.acquire() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.0, 0.1])


def test_rate_limiter_does_not_let_a_short_sleep_cheat() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=lambda _: None)  # the clock never moves
    limiter.acquire()
    assert limiter.acquire() == pytest.approx(0.5)
    assert limiter.acquire() == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_rate_limiter_rejects_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst=burst)


def test_backoff_delays_are_bounded_full_jitter() -> None:
    policy = BackoffPolicy(max_attempts=8, base_delay=0.5, max_delay=3.0)
    delays = list(policy.delays(random.Random(3)))
    assert len(delays) == 7
    for attempt, delay in enumerate(delays):
        assert 0 <= delay <= min(3.0, 0.5 * 2**attempt)


def test_backoff_only_retries_throttling() -> None:
    calls: list[int] = []

    def fails() -> None:
        calls.append(1)
        raise ValueError("not throttling")

    with pytest.raises(ValueError):
        call_with_backoff(fails, sleep=lambda _: None)
    assert len(calls) == 1


def test_backoff_returns_once_the_call_succeeds() -> None:
    outcomes: list[Exception | str] = [AwsThrottledError("slow down"), "ok"]
    sleeps: list[float] = []

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert call_with_backoff(call, sleep=sleeps.append, rng=random.Random(0)) == "ok"
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30s", NOW - timedelta(seconds=30)),
        ("10m", NOW - timedelta(minutes=10)),
        ("1h", NOW - timedelta(hours=1)),
        ("2d", NOW - timedelta(days=2)),
        ("1w", NOW - timedelta(weeks=1)),
        (" 15M ", NOW - timedelta(minutes=15)),
        ("2025-02-28T08:30:00Z", datetime(2025, 2, 28, 8, 30, tzinfo=UTC)),
        ("2025-02-28T10:30:00+02:00", datetime(2025, 2, 28, 8, 30, tzinfo=UTC)),
        ("2025-02-28T08:30:00", datetime(2025, 2, 28, 8, 30, tzinfo=UTC)),
        ("2025-02-28", datetime(2025, 2, 28, tzinfo=UTC)),
    ],
)
def test_parse_since_accepts_ages_and_iso_times(value: str, expected: datetime) -> None:
    parsed = parse_since(value, now=NOW)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["", "10", "ten minutes", "5y", "-5m", "2025-13-01", "0m"])
def test_parse_since_rejects_other_values_naming_the_formats(value: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_since(value, now=NOW)
    assert caught.value.hint is not None
    assert "30s, 10m, 1h, 2d" in caught.value.hint
    assert "ISO-8601" in caught.value.hint
