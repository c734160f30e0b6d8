"""OpenAI and Azure OpenAI answers against a local fake of the Responses API."""

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
    UnknownModelError,
    build_registry,
)
from handlers.providers.config import (
    AzureOpenAIConfig,
    OpenAIConfig,
    RateLimitConfig,
    RetryConfig,
)
from handlers.providers.pricing import TOKEN_PRICES
from tests.fakes import FakeClock, FakeOpenAIServer, Reply

NO_LIMITS = RateLimitConfig(rpm=None, tpm=None, max_concurrency=4)
RETRY = RetryConfig(max_attempts=3, initial_backoff_s=0.5, max_backoff_s=30, jitter_s=0)


def openai_config(server: FakeOpenAIServer, **overrides: Any) -> ProvidersConfig:
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
            "gpt-4.1": ModelRoute(provider="openai"),
            "gpt-4.1-mini": ModelRoute(provider="openai"),
            "GPT Latest": ModelRoute(provider="openai", upstream_model="gpt-5"),
        },
        default_provider=None,
        openai=OpenAIConfig(**settings),
    )


def azure_config(server: FakeOpenAIServer, **overrides: Any) -> ProvidersConfig:
    settings: dict[str, Any] = {
        "endpoint": server.azure_endpoint,
        "api_key": SecretStr(server.azure_api_key),
        "deployments": {"gpt-4.1": "prod-gpt41"},
        "timeout_s": 5.0,
        "rate_limit": NO_LIMITS,
        "retry": RETRY,
    }
    settings.update(overrides)
    return ProvidersConfig(
        routes={
            "gpt-4.1": ModelRoute(provider="azure_openai"),
            "gpt-5": ModelRoute(provider="azure_openai"),
        },
        default_provider=None,
        azure_openai=AzureOpenAIConfig(**settings),
    )


@contextmanager
def registry_for(config: ProvidersConfig, clock: FakeClock) -> Iterator[ProviderRegistry]:
    with build_registry(config, simulated_seed=0, clock=clock, sleep=clock.sleep) as registry:
        yield registry


def test_openai_happy_path_sends_web_search_with_location(make_cell, clock) -> None:
    with FakeOpenAIServer() as server, registry_for(openai_config(server), clock) as registry:
        cell = make_cell(1, model="gpt-4.1-mini", country_code="gb", region_name="Scotland")
        [answer] = registry.resolve("gpt-4.1-mini").answer([cell])

    assert isinstance(answer, ProviderAnswer)
    assert answer.provider == "openai" and answer.model == "gpt-4.1-mini"
    assert answer.simulated is False and answer.placeholder is False
    assert answer.text.startswith("Here is what I found about")
    price = TOKEN_PRICES["gpt-4.1-mini"]
    expected = (answer.input_tokens * 0.40 + answer.output_tokens * 1.60) / 1e6 + 0.01
    assert price.input_per_million == 0.40
    assert answer.output_tokens == 120
    assert answer.cost_usd == pytest.approx(expected)
    [body] = server.bodies
    assert body["model"] == "gpt-4.1-mini"
    assert body["tools"] == [
        {
            "type": "web_search",
            "user_location": {"type": "approximate", "country": "GB", "region": "Scotland"},
        }
    ]
    assert "Scotland, United Kingdom" in body["input"]
    assert cell.question in body["input"]
    assert server.requests[0].headers["authorization"] == f"Bearer {server.api_key}"


def test_openai_upstream_model_is_sent_and_reported(make_cell, clock) -> None:
    with (
        FakeOpenAIServer(response_model=lambda m: f"{m}-2025-08-07") as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("gpt latest").answer([make_cell(1, model="GPT Latest")])
    assert server.bodies[0]["model"] == "gpt-5"
    assert isinstance(answer, ProviderAnswer)
    assert answer.model == "gpt-5-2025-08-07"  # what actually ran, priced as gpt-5
    expected = (answer.input_tokens * 1.25 + answer.output_tokens * 10) / 1e6 + 0.01
    assert answer.cost_usd == pytest.approx(expected)


def test_429_with_retry_after_is_waited_out_then_succeeds(make_cell, clock) -> None:
    throttled = Reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"})
    with (
        FakeOpenAIServer(script=[throttled]) as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert isinstance(answer, ProviderAnswer)
    assert server.request_count == 2 and server.rate_limited == 1
    assert clock.sleeps == [7.0]  # the server's 7 s beat the 0.5 s backoff


def test_exhausted_ratelimit_headers_pause_the_provider(make_cell, clock) -> None:
    # No client-side limits: only the server's x-ratelimit-remaining/reset headers pace us.
    with (
        FakeOpenAIServer(rpm=2, clock=clock) as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        provider = registry.resolve("gpt-4.1")
        results = [provider.answer([make_cell(n)])[0] for n in range(3)]
    assert all(isinstance(result, ProviderAnswer) for result in results)
    assert server.rate_limited == 0
    assert clock.sleeps == [60.0]  # "60000ms" until the first request leaves the window


def test_client_limiter_keeps_under_the_server_ceiling(make_cell, clock) -> None:
    limits = RateLimitConfig(rpm=2, tpm=None, max_concurrency=2)
    with FakeOpenAIServer(rpm=2, clock=clock) as server:
        config = openai_config(server, rate_limit=limits)
        with registry_for(config, clock) as registry:
            provider = registry.resolve("gpt-4.1")
            results = [provider.answer([make_cell(n)])[0] for n in range(5)]
    assert all(isinstance(result, ProviderAnswer) for result in results)
    assert server.rate_limited == 0
    assert server.request_count == 5


def test_5xx_is_retried_with_backoff(make_cell, clock) -> None:
    script = [Reply(500, {"error": {"message": "boom"}}), Reply(503, "upstream unavailable")]
    with (
        FakeOpenAIServer(script=script) as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        [answer] = registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert isinstance(answer, ProviderAnswer)
    assert server.request_count == 3
    assert clock.sleeps == [0.5, 1.0]


def test_5xx_after_the_last_attempt_raises_transient(make_cell, clock) -> None:
    script = [Reply(502, "bad gateway")] * 3
    with (
        FakeOpenAIServer(script=script) as server,
        registry_for(openai_config(server), clock) as registry,
        pytest.raises(ProviderTransientError, match="HTTP 502"),
    ):
        registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert server.request_count == 3


def test_timeout_is_transient_and_retried(make_cell, clock) -> None:
    with (
        FakeOpenAIServer(script=[Reply(delay_s=0.3, body={})]) as server,
        registry_for(openai_config(server, timeout_s=0.05), clock) as registry,
    ):
        [answer] = registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert isinstance(answer, ProviderAnswer)
    assert server.request_count == 2


def test_timeout_on_every_attempt_raises_transient(make_cell, clock) -> None:
    slow = Reply(delay_s=0.2, body={})
    with FakeOpenAIServer(script=[slow, slow]) as server:
        config = openai_config(
            server, timeout_s=0.04, retry=RETRY.model_copy(update={"max_attempts": 2})
        )
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderTransientError, match="timed out"),
        ):
            registry.resolve("gpt-4.1").answer([make_cell(1)])


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "{not json"),
        Reply(200, {"output": []}),  # no usage
        Reply(400, {"error": {"message": "Invalid value for 'input'"}}),
    ],
    ids=["bad-json", "missing-usage", "400"],
)
def test_permanent_cell_errors_become_failures_without_retry(make_cell, clock, reply) -> None:
    with (
        FakeOpenAIServer(script=[reply]) as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        results = registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert len(results) == 1 and isinstance(results[0], ProviderFailure)
    assert results[0].transient is False and results[0].cell_key == "q1:m1:l1"
    assert server.request_count == 1 and clock.sleeps == []


def test_empty_answer_text_is_a_failure(make_cell, clock) -> None:
    with (
        FakeOpenAIServer(answer=lambda body: "") as server,
        registry_for(openai_config(server), clock) as registry,
    ):
        [result] = registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert isinstance(result, ProviderFailure)
    assert "no answer text" in result.reason


def test_401_raises_provider_error_without_retry(make_cell, clock) -> None:
    with FakeOpenAIServer(api_key="the-real-key") as server:
        config = openai_config(server, api_key=SecretStr("a-revoked-key"))
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderError, match="HTTP 401") as caught,
        ):
            registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert not isinstance(caught.value, ProviderTransientError)
    assert server.request_count == 1 and server.auth_failures == 1


def test_unknown_model_names_the_model_and_the_configured_ones(clock) -> None:
    with (
        FakeOpenAIServer() as server,
        registry_for(openai_config(server), clock) as registry,
        pytest.raises(UnknownModelError) as caught,
    ):
        registry.resolve("gpt-4.1-turbo")  # no substring guessing: not gpt-4.1
    assert "'gpt-4.1-turbo'" in caught.value.message
    assert "GPT Latest, gpt-4.1, gpt-4.1-mini" in caught.value.message


def test_azure_happy_path_uses_the_mapped_deployment(make_cell, clock) -> None:
    with FakeOpenAIServer() as server, registry_for(azure_config(server), clock) as registry:
        [answer] = registry.resolve("gpt-4.1").answer([make_cell(1, country_code="DE")])
    assert isinstance(answer, ProviderAnswer)
    assert answer.provider == "azure_openai"
    [request] = server.requests
    assert request.path == "/openai/v1/responses"
    assert request.headers["api-key"] == server.azure_api_key
    body = server.bodies[0]
    assert body["model"] == "prod-gpt41"
    assert body["tools"][0]["type"] == "web_search_preview"
    assert body["tools"][0]["user_location"]["country"] == "DE"
    # The deployment name is not a model: the answer is priced as the model it routes to.
    expected = (answer.input_tokens * 2 + answer.output_tokens * 8) / 1e6 + 0.01
    assert answer.cost_usd == pytest.approx(expected)


def test_azure_api_version_is_sent_when_configured(make_cell, clock) -> None:
    with (
        FakeOpenAIServer() as server,
        registry_for(azure_config(server, api_version="preview"), clock) as registry,
    ):
        registry.resolve("gpt-4.1").answer([make_cell(1)])
    assert server.requests[0].query == {"api-version": "preview"}


def test_azure_model_without_deployment_is_unknown(make_cell, clock) -> None:
    with (
        FakeOpenAIServer() as server,
        registry_for(azure_config(server), clock) as registry,
        pytest.raises(UnknownModelError, match="no deployment"),
    ):
        registry.resolve("gpt-5")
        provider = registry.resolve("gpt-4.1")
        with pytest.raises(UnknownModelError, match="'gpt-5'"):
            provider.answer([make_cell(1, model="gpt-5")])
    assert server.request_count == 0  # never silently sent to the gpt-4.1 deployment


def test_azure_wrong_key_is_401(make_cell, clock) -> None:
    with FakeOpenAIServer(azure_api_key="right") as server:
        config = azure_config(server, api_key=SecretStr("wrong"))
        with (
            registry_for(config, clock) as registry,
            pytest.raises(ProviderError, match="HTTP 401"),
        ):
            registry.resolve("gpt-4.1").answer([make_cell(1)])
