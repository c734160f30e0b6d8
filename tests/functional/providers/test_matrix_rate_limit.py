"""A real matrix against a rate-limited fake OpenAI: the limiter keeps it under the ceiling.

The whole workflow runs (`run_inline`) with every model routed to `openai`, against a
`FakeOpenAIServer` enforcing an RPM or TPM ceiling over a one-second window (the limiter is told
the same window). Assertions are behavioural, never timing thresholds (those live in
`bench/bench_matrix.py`): every cell completes, the server refused at most a couple of requests,
and no window ever saw more requests than the ceiling plus the refused ones. Below them, the
limiter's reactions to the server's headers and refusals, on a fake clock.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from handlers.db.database import Database
from handlers.orgdata.importer import import_orgs, parse_org_document
from handlers.providers import ModelRoute, ProvidersConfig, build_registry
from handlers.providers.config import OpenAIConfig, RateLimitConfig, RetryConfig
from handlers.providers.openai_responses import OpenAIResponsesProvider
from handlers.providers.ratelimit import MAX_SKEW_FRACTION, RateLimiter
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings
from tests.fakes import FakeClock, FakeOpenAIServer, Reply, Request

MODELS = ["gpt-4.1", "gpt-4.1-mini", "gpt-4o"]
WINDOW_S = 1.0
OUTPUT_TOKENS = 50
CONCURRENCY = 4
# The limiter stamps a request when it grants it, the server when it arrives, and the limiter
# learns that lag from the first refusal: the calls already in flight at that window boundary
# may be refused with it, and the odd one later while the lag is still being learnt.
MAX_REFUSALS = CONCURRENCY + 2

ORG = """
slug: ratelimited
name: Ratelimit Credit Union
partner: {slug: rl-partner, name: RL Partner}
websites: [https://ratelimitcu.example]
questions:
  - Which credit union is best for car loans?
  - Where should I open a savings account?
  - What bank has the best mobile app?
  - Who offers the best first-time buyer mortgage?
  - Which card has the best cash back?
models: [gpt-4.1, gpt-4.1-mini, gpt-4o]
locations: [US, {country: CA, region: Ontario}]
credits: 1000
"""


class ArrivalServer(FakeOpenAIServer):
    """The fake, also noting each request's arrival and size (as it counts tokens)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[tuple[float, int]] = []
        self._arrivals_lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        tokens = math.ceil(len(str(request.json().get("input", ""))) / 4) + self.output_tokens
        with self._arrivals_lock:
            self.arrivals.append((time.monotonic(), tokens))
        return super().handle(request)


def busiest_window(arrivals: list[tuple[float, int]], window: float) -> tuple[int, int]:
    """(most requests, most tokens) that arrived within any one window."""
    requests, tokens = 0, 0
    for end, _ in arrivals:
        inside = [size for at, size in arrivals if end - window < at <= end]
        requests, tokens = max(requests, len(inside)), max(tokens, sum(inside))
    return requests, tokens


def run_matrix(db: Database, tmp_path: Path, server: ArrivalServer, limits: RateLimitConfig) -> Any:
    org_file = parse_org_document(ORG, source="org.yaml")
    import_orgs(db, org_file)
    org_id = OrgRepository(db).get(org_file.orgs[0].slug).org_id
    config = ProvidersConfig(
        routes={model: ModelRoute(provider="openai") for model in MODELS},
        default_provider=None,
        openai=OpenAIConfig(
            api_key=SecretStr(server.api_key),
            base_url=server.base_url,
            timeout_s=10.0,
            expected_output_tokens=OUTPUT_TOKENS,
            rate_limit=limits,
            # Short backoffs keep the test quick; how long a retry waits is not under test.
            retry=RetryConfig(max_attempts=5, initial_backoff_s=0.05, jitter_s=0.05),
        ),
    )
    registry = build_registry(config, simulated_seed=7)
    provider = registry.resolve(MODELS[0])
    assert isinstance(provider, OpenAIResponsesProvider)
    provider.limiter.window_s = WINDOW_S  # the server's compressed "minute"
    settings = load_settings(
        environ={"SENSO_HOME": str(tmp_path)}, flags={"matrix_concurrency": CONCURRENCY}
    ).settings
    services = build_services(settings, registry=registry)
    try:
        return run_inline(db, {"org_id": str(org_id)}, services=services)
    finally:
        services.close()


def failed_cells(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM senso.cell_runs WHERE status = 'failed'")
        found = row.fetchone()
    assert found is not None
    return int(found["n"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rpm", "tpm"),
    [(8, None), (None, 8 * (OUTPUT_TOKENS + 30))],
    ids=["rpm-bound", "tpm-bound"],
)
def test_matrix_stays_under_the_servers_ceiling(
    db: Database, tmp_path: Path, rpm: int | None, tpm: int | None
) -> None:
    latency = lambda _: 0.02  # noqa: E731 - a constant is all this test needs
    with ArrivalServer(
        rpm=rpm, tpm=tpm, window_s=WINDOW_S, latency=latency, output_tokens=OUTPUT_TOKENS
    ) as server:
        limits = RateLimitConfig(rpm=rpm, tpm=tpm, max_concurrency=CONCURRENCY)
        state = run_matrix(db, tmp_path, server, limits)

    assert state["matrix"]["completed"] == 30 and state["matrix"]["failed"] == 0
    assert failed_cells(db) == 0
    assert server.rate_limited <= MAX_REFUSALS
    # A refused request reached the server too, so each may have shared a window with a full
    # ceiling's worth; nothing else may.
    requests, tokens = busiest_window(server.arrivals, WINDOW_S)
    refused = server.rate_limited
    if rpm is not None:
        assert requests <= rpm + refused
    if tpm is not None:
        assert tokens <= tpm + refused * max(size for _, size in server.arrivals)


def test_a_token_budget_too_small_for_a_request_pauses_every_caller() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(tpm=10_000, clock=clock, sleep=clock.sleep)
    headers = {"x-ratelimit-remaining-tokens": "120", "x-ratelimit-reset-tokens": "2s"}
    assert limiter.observe_headers(headers, request_tokens=100) == 0.0  # room for one more
    assert limiter.observe_headers(headers, request_tokens=150) == pytest.approx(2.0)
    limiter.acquire(150)
    assert clock.sleeps == [pytest.approx(2.0)]


def test_a_reset_counts_from_when_the_request_was_sent() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=100, clock=clock, sleep=clock.sleep)
    sent = limiter.acquire()
    clock.advance(1.5)  # the answer took 1.5 s; the server counted its reset from the request
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"}
    assert limiter.observe_headers(headers, sent_at=sent.granted_at) == pytest.approx(0.5)
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.5)]


def test_a_refusal_teaches_the_limiter_the_servers_lag() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=1, clock=clock, sleep=clock.sleep, window_s=10.0)
    limiter.acquire()
    clock.advance(10.0)
    refused = limiter.acquire()  # our window is free; the server's still holds the first
    clock.advance(0.01)
    refused.rejected(retry_after=0.03)  # it held it 0.04 s past our grant at most; allow twice
    assert limiter.skew_s == pytest.approx(0.08)
    limiter.acquire()
    assert clock.sleeps[-1] == pytest.approx(10.0 + 0.08 - 0.01)


def test_a_long_retry_after_is_not_mistaken_for_lag() -> None:
    clock = FakeClock(start=0.0)
    limiter = RateLimiter(rpm=10, clock=clock, sleep=clock.sleep, window_s=60.0)
    refused = limiter.acquire()
    refused.rejected(retry_after=60.0 * MAX_SKEW_FRACTION + 1)  # out of quota, not skew
    assert limiter.skew_s == 0.0
