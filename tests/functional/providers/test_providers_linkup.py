"""Linkup sourced answers over httpx against a local fake of `POST /v1/search`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.providers import (
    PLACEHOLDER_TEXT,
    ModelRoute,
    ProviderAnswer,
    ProviderFailure,
    ProviderRegistry,
    ProvidersConfig,
    build_registry,
)
from handlers.providers.config import LinkupConfig, RateLimitConfig, RetryConfig
from tests.fakes import FakeClock, FakeLinkupServer, Reply
from tests.fakes.linkup_server import linkup_error

RETRY = RetryConfig(max_attempts=3, initial_backoff_s=0.5, max_backoff_s=30, jitter_s=0)


def linkup_config(server: FakeLinkupServer, **overrides: Any) -> ProvidersConfig:
    settings: dict[str, Any] = {
        "api_key": SecretStr(server.api_key),
        "base_url": server.base_url,
        "timeout_s": 5.0,
        "rate_limit": RateLimitConfig(rpm=None, max_concurrency=4),
        "retry": RETRY,
    }
    settings.update(overrides)
    return ProvidersConfig(
        routes={"linkup": ModelRoute(provider="linkup")},
        default_provider=None,
        linkup=LinkupConfig(**settings),
    )


@contextmanager
def registry_for(config: ProvidersConfig, clock: FakeClock) -> Iterator[ProviderRegistry]:
    def http(_: str) -> httpx.Client:
        return httpx.Client()

    with build_registry(
        config, simulated_seed=0, http_client_factory=http, clock=clock, sleep=clock.sleep
    ) as registry:
        yield registry


def test_sourced_answer_with_citations_rewritten_to_links(make_cell, clock) -> None:
    with FakeLinkupServer() as server, registry_for(linkup_config(server), clock) as registry:
        cell = make_cell(1, model="linkup", country_code="US", region_name="Ohio")
        [answer] = registry.resolve("linkup").answer([cell])

    assert isinstance(answer, ProviderAnswer)
    assert answer.provider == "linkup" and answer.model == "linkup"
    assert "Northwind [1](https://www.northwindcu.com/) leads" in answer.text
    assert "reviewers [2](https://reviews.example.org/cu)." in answer.text
    assert answer.cost_usd == pytest.approx(0.0055)
    assert answer.input_tokens is None and answer.placeholder is False
    [body] = server.bodies
    assert body == {
        "q": body["q"],
        "depth": "standard",
        "outputType": "sourcedAnswer",
        "includeImages": False,
        "includeInlineCitations": True,
    }
    assert "Ohio, United States" in body["q"] and cell.question in body["q"]
    assert server.requests[0].headers["authorization"] == f"Bearer {server.api_key}"


def test_marker_without_a_source_is_left_as_it_is(make_cell, clock) -> None:
    with (
        FakeLinkupServer(sources=[{"name": "only", "url": "https://only.example/"}]) as server,
        registry_for(linkup_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert isinstance(answer, ProviderAnswer)
    assert "[1](https://only.example/)" in answer.text and "reviewers [2]." in answer.text


def test_empty_answer_is_the_placeholder(make_cell, clock) -> None:
    with (
        FakeLinkupServer(answer=lambda body: "  ") as server,
        registry_for(linkup_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert isinstance(answer, ProviderAnswer)
    assert answer.placeholder is True and answer.text == PLACEHOLDER_TEXT
    assert answer.cost_usd == pytest.approx(0.0055)  # the search ran and is billed


def test_429_with_retry_after_is_waited_out(make_cell, clock) -> None:
    busy = linkup_error(
        429, "TOO_MANY_REQUESTS", "too many concurrent requests", **{"Retry-After": "4"}
    )
    with (
        FakeLinkupServer(script=[busy]) as server,
        registry_for(linkup_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert isinstance(answer, ProviderAnswer)
    assert len(server.requests) == 2 and clock.sleeps == [4.0]


def test_429_out_of_credit_is_permanent(make_cell, clock) -> None:
    broke = linkup_error(429, "INSUFFICIENT_FUNDS_CREDITS", "You have run out of credits")
    with (
        FakeLinkupServer(script=[broke]) as server,
        registry_for(linkup_config(server), clock) as registry,
        pytest.raises(ProviderError, match="HTTP 429") as caught,
    ):
        registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert not isinstance(caught.value, ProviderTransientError)
    assert len(server.requests) == 1


def test_5xx_is_retried_then_raises_transient(make_cell, clock) -> None:
    script = [linkup_error(500, "INTERNAL_SERVER_ERROR", "Something's up")] * 3
    with (
        FakeLinkupServer(script=script) as server,
        registry_for(linkup_config(server), clock) as registry,
        pytest.raises(ProviderTransientError, match="HTTP 500"),
    ):
        registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert len(server.requests) == 3 and clock.sleeps == [0.5, 1.0]


def test_timeout_is_transient_and_retried(make_cell, clock) -> None:
    with (
        FakeLinkupServer(script=[Reply(delay_s=0.3, body={})]) as server,
        registry_for(linkup_config(server, timeout_s=0.05), clock) as registry,
    ):
        [answer] = registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert isinstance(answer, ProviderAnswer)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "<html>gateway</html>"),
        Reply(200, {"sources": []}),  # no answer field at all
        linkup_error(400, "SEARCH_QUERY_NO_RESULT", "Search query yields no result"),
    ],
    ids=["not-json", "no-answer-field", "400-no-result"],
)
def test_malformed_body_or_400_fails_the_cell_only(make_cell, clock, reply) -> None:
    with (
        FakeLinkupServer(script=[reply]) as server,
        registry_for(linkup_config(server), clock) as registry,
    ):
        [result] = registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert isinstance(result, ProviderFailure) and result.transient is False
    assert len(server.requests) == 1 and clock.sleeps == []


def test_401_raises_provider_error_without_retry(make_cell, clock) -> None:
    with FakeLinkupServer(api_key="right") as server:
        config = linkup_config(server, api_key=SecretStr("lk-revoked-key"))
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderError, match="HTTP 401") as caught,
        ):
            registry.resolve("linkup").answer([make_cell(1, model="linkup")])
    assert "lk-revoked-key" not in caught.value.message
    assert len(server.requests) == 1


def test_empty_key_is_refused_when_the_registry_is_built(clock) -> None:
    config = ProvidersConfig(
        routes={"linkup": ModelRoute(provider="linkup")},
        default_provider=None,
        linkup=LinkupConfig(api_key=SecretStr("")),
    )
    with pytest.raises(InvalidInputError, match=r"providers\.linkup\.api_key"):
        build_registry(config, simulated_seed=0, clock=clock, sleep=clock.sleep)
