"""Anthropic answers through the official SDK against a local fake of the Messages API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pydantic import SecretStr

from handlers.errors import ProviderError, ProviderTransientError
from handlers.providers import (
    ModelRoute,
    ProviderAnswer,
    ProviderFailure,
    ProviderRegistry,
    ProvidersConfig,
    build_registry,
)
from handlers.providers.config import AnthropicConfig, RateLimitConfig, RetryConfig
from tests.fakes import FakeAnthropicServer, FakeClock, Reply
from tests.fakes.anthropic_server import anthropic_error

NO_LIMITS = RateLimitConfig(rpm=None, tpm=None, max_concurrency=4)
RETRY = RetryConfig(max_attempts=3, initial_backoff_s=0.5, max_backoff_s=30, jitter_s=0)
SONNET = "claude-sonnet-4-20250514"


def anthropic_config(server: FakeAnthropicServer, **overrides: Any) -> ProvidersConfig:
    settings: dict[str, Any] = {
        "api_key": SecretStr(server.api_key),
        "base_url": server.base_url,
        "timeout_s": 5.0,
        "rate_limit": NO_LIMITS,
        "retry": RETRY,
    }
    settings.update(overrides)
    return ProvidersConfig(
        routes={
            "claude": ModelRoute(provider="anthropic", upstream_model=SONNET),
            "haiku": ModelRoute(provider="anthropic", upstream_model="claude-3-haiku-20240307"),
        },
        default_provider=None,
        anthropic=AnthropicConfig(**settings),
    )


@contextmanager
def registry_for(config: ProvidersConfig, clock: FakeClock) -> Iterator[ProviderRegistry]:
    with build_registry(config, simulated_seed=0, clock=clock, sleep=clock.sleep) as registry:
        yield registry


def test_sonnet_searches_the_web_from_the_cells_location(make_cell, clock) -> None:
    with (
        FakeAnthropicServer() as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        cell = make_cell(1, model="claude", country_code="ca", region_name="Ontario")
        [answer] = registry.resolve("claude").answer([cell])

    assert isinstance(answer, ProviderAnswer)
    assert answer.provider == "anthropic" and answer.model == SONNET
    assert answer.web_search is True and answer.simulated is False
    assert "Ontario, Canada" in answer.text
    # The cited page is linked after the passage that cites it.
    assert "[1](https://www.northwindcu.com/rates)" in answer.text
    [body] = server.bodies
    assert body["model"] == SONNET and body["max_tokens"] == 2000 and "temperature" not in body
    assert body["tools"] == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "max_uses": 5,
            "user_location": {"type": "approximate", "country": "CA", "region": "Ontario"},
        }
    ]
    assert body["messages"][0]["role"] == "user" and cell.question in body["messages"][0]["content"]
    # Tokens at $3/$15 per million plus one $0.01 search.
    expected = (answer.input_tokens * 3 + answer.output_tokens * 15) / 1e6 + 0.01
    assert answer.output_tokens == 90
    assert answer.cost_usd == pytest.approx(expected)
    assert server.requests[0].headers["authorization"] == f"Bearer {server.api_key}"


def test_model_without_search_answers_without_it_and_says_so(make_cell, clock) -> None:
    with (
        FakeAnthropicServer() as server,
        registry_for(anthropic_config(server, temperature=0.7), clock) as registry,
    ):
        [answer] = registry.resolve("haiku").answer([make_cell(1, model="haiku")])
    assert isinstance(answer, ProviderAnswer)
    assert answer.web_search is False
    assert "tools" not in server.bodies[0]
    assert server.bodies[0]["temperature"] == 0.7  # the old system's value, when configured
    expected = (answer.input_tokens * 0.25 + answer.output_tokens * 1.25) / 1e6  # no search fee
    assert answer.cost_usd == pytest.approx(expected)


def test_model_refusing_the_tool_is_asked_again_without_it(make_cell, clock) -> None:
    with (
        FakeAnthropicServer(no_search_models=[SONNET]) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(answer, ProviderAnswer) and answer.web_search is False
    assert len(server.requests) == 2 and "tools" not in server.bodies[0]


def test_pause_turn_is_resumed_and_usage_summed(make_cell, clock) -> None:
    with (
        FakeAnthropicServer(pause_turns=1) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(answer, ProviderAnswer)
    _first, second = server.bodies
    assert second["messages"][1]["role"] == "assistant"
    assert second["messages"][1]["content"][0]["type"] == "server_tool_use"
    assert answer.output_tokens == 180  # two turns of 90
    expected = (answer.input_tokens * 3 + 180 * 15) / 1e6 + 0.02  # a search in each turn
    assert answer.cost_usd == pytest.approx(expected)


def test_429_with_retry_after_is_waited_out(make_cell, clock) -> None:
    throttled = anthropic_error(429, "rate_limit_error", "slow down", **{"retry-after": "9"})
    with (
        FakeAnthropicServer(script=[throttled]) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(answer, ProviderAnswer)
    assert len(server.requests) == 2
    assert clock.sleeps == [9.0]  # the server's 9 s, not the 0.5 s backoff


def test_servers_own_budget_refusal_is_waited_out(make_cell, clock) -> None:
    # The server's real budget (1 request a minute on the shared fake clock): the second call
    # is refused with retry-after and anthropic-ratelimit-requests-reset, waited out, then sent.
    with (
        FakeAnthropicServer(rpm=1, clock=clock) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        provider = registry.resolve("claude")
        results = [provider.answer([make_cell(n, model="claude")])[0] for n in (1, 2)]
    assert all(isinstance(result, ProviderAnswer) for result in results)
    assert server.rate_limited == 1 and len(server.requests) == 3
    assert clock.sleeps == [60.0]


def test_overloaded_529_and_5xx_are_retried(make_cell, clock) -> None:
    script = [anthropic_error(529, "overloaded_error", "Overloaded"), Reply(500, "boom")]
    with (
        FakeAnthropicServer(script=script) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(answer, ProviderAnswer)
    assert len(server.requests) == 3 and clock.sleeps == [0.5, 1.0]


def test_5xx_on_every_attempt_raises_transient(make_cell, clock) -> None:
    script = [anthropic_error(503, "api_error", "unavailable")] * 3
    with (
        FakeAnthropicServer(script=script) as server,
        registry_for(anthropic_config(server), clock) as registry,
        pytest.raises(ProviderTransientError, match="HTTP 503"),
    ):
        registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert len(server.requests) == 3


def test_timeout_on_every_attempt_raises_transient(make_cell, clock) -> None:
    slow = Reply(delay_s=0.2, body={})
    with FakeAnthropicServer(script=[slow, slow]) as server:
        config = anthropic_config(
            server, timeout_s=0.04, retry=RETRY.model_copy(update={"max_attempts": 2})
        )
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderTransientError, match="timed out"),
        ):
            registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "{not json"),
        Reply(200, {"type": "message", "content": []}),  # no usage
        anthropic_error(400, "invalid_request_error", "messages: text content blocks empty"),
    ],
    ids=["bad-json", "missing-usage", "400"],
)
def test_malformed_body_or_400_fails_the_cell_only(make_cell, clock, reply) -> None:
    with (
        FakeAnthropicServer(script=[reply]) as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [result] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(result, ProviderFailure) and result.transient is False
    assert len(server.requests) == 1 and clock.sleeps == []


def test_empty_answer_is_a_failure(make_cell, clock) -> None:
    with (
        FakeAnthropicServer(answer=lambda body: "") as server,
        registry_for(anthropic_config(server), clock) as registry,
    ):
        [result] = registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert isinstance(result, ProviderFailure)
    assert "no answer text" in result.reason


def test_401_raises_provider_error_without_retry(make_cell, clock) -> None:
    with FakeAnthropicServer(api_key="the-real-key") as server:
        config = anthropic_config(server, api_key=SecretStr("sk-ant-revoked"))
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderError, match="HTTP 401") as caught,
        ):
            registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert not isinstance(caught.value, ProviderTransientError)
    assert "sk-ant-revoked" not in caught.value.message
    assert len(server.requests) == 1


def test_spend_limit_429_is_permanent(make_cell, clock) -> None:
    spent = Reply(
        429,
        {
            "type": "error",
            "error": {
                "type": "rate_limit_error",
                "message": "spend limit",
                "details": {"error_code": "enforced_spend_limit_reached"},
            },
        },
    )
    with (
        FakeAnthropicServer(script=[spent]) as server,
        registry_for(anthropic_config(server), clock) as registry,
        pytest.raises(ProviderError, match="HTTP 429") as caught,
    ):
        registry.resolve("claude").answer([make_cell(1, model="claude")])
    assert not isinstance(caught.value, ProviderTransientError)
    assert len(server.requests) == 1
