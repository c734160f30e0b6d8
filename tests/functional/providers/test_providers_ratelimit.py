"""The rate limiter and the retry policy, on a fake clock (no real waiting)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.errors import ProviderError, ProviderTransientError
from handlers.providers.ratelimit import (
    RateLimiter,
    parse_duration,
    parse_retry_after,
    pause_from_headers,
)
from handlers.providers.retrying import RetryPolicy, call_with_retries
from tests.fakes import FakeClock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("0.5", 0.5),
     ("2m30s", 150.0), ("", None), ("soon", None), ("5x", None)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 2, 2, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12", now=now.timestamp()) == 12.0
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(30.0)
    assert parse_retry_after("not a date", now=now.timestamp()) is None


def test_pause_from_headers_only_when_exhausted() -> None:
    assert pause_from_headers({"x-ratelimit-remaining-requests": "3",
                               "x-ratelimit-reset-requests": "6m0s"}, now=0) == 0.0  # fmt: skip
    assert pause_from_headers({"x-ratelimit-remaining-tokens": "0",
                               "x-ratelimit-reset-tokens": "1.5s"}, now=0) == 1.5  # fmt: skip
    assert pause_from_headers({"Retry-After": "4", "retry-after-ms": "2500"}, now=0) == 2.5


@settings(max_examples=60, deadline=None)
@given(
    rpm=st.integers(1, 8),
    tpm=st.integers(100, 2_000),
    calls=st.lists(st.tuples(st.integers(0, 600), st.floats(0, 40)), min_size=1, max_size=40),
)
def test_no_window_ever_exceeds_rpm_or_tpm(rpm: int, tpm: int, calls: list) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=rpm, tpm=tpm, clock=clock, sleep=clock.sleep)
    grants: list[tuple[float, int]] = []
    for tokens, gap in calls:
        clock.advance(gap)
        reservation = limiter.acquire(tokens)
        grants.append((reservation.granted_at, min(tokens, tpm)))
    for end, _ in grants:
        # A microsecond of slack: a request granted exactly 60 s later sits on the boundary,
        # where float rounding may put it on either side.
        window = [spent for at, spent in grants if end - 60 + 1e-6 < at <= end]
        assert len(window) <= rpm
        assert sum(window) <= tpm


def test_rpm_waits_for_the_oldest_request_to_leave_the_window() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.advance(10)
    limiter.acquire()
    third = limiter.acquire()
    assert third.granted_at == pytest.approx(60.0)
    assert clock.sleeps == [pytest.approx(50.0)]


def test_reconciling_tokens_frees_the_budget() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(tpm=1_000, clock=clock, sleep=clock.sleep)
    limiter.acquire(900).settle(100)
    limiter.acquire(800)
    assert clock.sleeps == []
    assert limiter.window_usage() == (2, 900.0)


def test_a_request_larger_than_the_budget_goes_alone() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(tpm=100, clock=clock, sleep=clock.sleep)
    limiter.acquire(50)
    limiter.acquire(500)
    assert clock.sleeps == [pytest.approx(60.0)]


def test_reset_headers_and_retry_after_pause_every_caller() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=100, clock=clock, sleep=clock.sleep)
    limiter.observe_headers({"x-ratelimit-remaining-requests": "0",
                             "x-ratelimit-reset-requests": "6m0s"})  # fmt: skip
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(360.0)]
    limiter.observe_headers({"Retry-After": "3"})
    limiter.observe_headers({"Retry-After": "1"})  # a shorter pause does not cut the longer one
    limiter.acquire()
    assert clock.sleeps[-1] == pytest.approx(3.0)


def test_threads_sharing_a_limiter_stay_under_rpm() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=5, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            reservation = limiter.acquire()
            with lock:
                grants.append(reservation.granted_at)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(grants) == 20
    for end in grants:
        assert sum(1 for at in grants if end - 60 < at <= end) <= 5


def test_max_concurrency_caps_calls_in_flight() -> None:
    limiter = RateLimiter(max_concurrency=2)
    in_flight, peak = 0, 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal in_flight, peak
        with limiter.slot():
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.01)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 2


def test_retries_honour_retry_after_as_a_floor() -> None:
    clock = FakeClock()
    attempts = iter([ProviderTransientError("429", retry_after=12.0),
                     ProviderTransientError("503"), "ok"])  # fmt: skip

    def call() -> str:
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(max_attempts=5, initial_backoff_s=1.0, jitter_s=0)
    assert call_with_retries(call, policy, sleep=clock.sleep) == "ok"
    assert clock.sleeps == [12.0, 2.0]


def test_retries_are_bounded_and_skip_permanent_errors() -> None:
    clock = FakeClock()
    calls = 0

    def flaky() -> None:
        nonlocal calls
        calls += 1
        raise ProviderTransientError("still down")

    policy = RetryPolicy(max_attempts=3, initial_backoff_s=1.0, max_backoff_s=1.5, jitter_s=0.5)
    with pytest.raises(ProviderTransientError, match="still down"):
        call_with_retries(flaky, policy, sleep=clock.sleep)
    assert calls == 3 and len(clock.sleeps) == 2
    assert 1.0 <= clock.sleeps[0] <= 1.5 and clock.sleeps[1] == 1.5

    def broken() -> None:
        nonlocal calls
        calls += 1
        raise ProviderError("bad request")

    calls = 0
    with pytest.raises(ProviderError):
        call_with_retries(broken, policy, sleep=clock.sleep)
    assert calls == 1
