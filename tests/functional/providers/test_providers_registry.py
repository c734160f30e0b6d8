"""Routing, wiring, pricing and country codes of the providers package."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from handlers.errors import InvalidInputError
from handlers.providers import (
    ModelRoute,
    Provider,
    ProvidersConfig,
    SimulatedProvider,
    UnknownModelError,
    build_registry,
    default_routes,
)
from handlers.providers.config import AzureOpenAIConfig, BrightDataConfig
from handlers.providers.countries import COUNTRY_NAMES, country_name, normalise_country_code
from handlers.providers.pricing import TOKEN_PRICES, find_price, openai_answer_cost
from handlers.providers.registry import DEFAULT_GEO_MODELS, ProviderRegistry


def test_offline_default_routes_every_model_to_the_simulator() -> None:
    registry = build_registry(ProvidersConfig(), simulated_seed=1)
    for name in [*DEFAULT_GEO_MODELS, "Some Brand New Model"]:
        provider = registry.resolve(name)
        assert isinstance(provider, SimulatedProvider) and isinstance(provider, Provider)
    assert registry.resolve("chatgpt") is registry.resolve("gemini")  # one shared instance


def test_default_routes_are_all_simulated() -> None:
    routes = default_routes()
    assert set(routes) == set(DEFAULT_GEO_MODELS)
    assert {route.provider for route in routes.values()} == {"simulated"}
    registry = build_registry(
        ProvidersConfig(routes=routes, default_provider=None), simulated_seed=1
    )
    assert isinstance(registry.resolve(" ChatGPT "), SimulatedProvider)


def test_no_substring_guessing_without_a_default() -> None:
    config = ProvidersConfig(routes=default_routes(["chatgpt", "gpt-4.1"]), default_provider=None)
    registry = build_registry(config, simulated_seed=1)
    for name in ["chatgpt-4o", "gpt-4.1-nano", "sonar"]:
        with pytest.raises(UnknownModelError) as caught:
            registry.resolve(name)
        assert caught.value.model == name
        assert caught.value.configured == ["chatgpt", "gpt-4.1"]
        assert "(configured models: chatgpt, gpt-4.1)" in caught.value.message
        assert isinstance(caught.value, InvalidInputError)


def test_from_config_builds_each_provider_once_from_its_routes() -> None:
    built: list[dict[str, ModelRoute]] = []

    def factory(routes: dict[str, ModelRoute]) -> Provider:
        built.append(routes)
        return SimulatedProvider(seed=0)

    routes = {"a": ModelRoute(provider="simulated"), "b": ModelRoute(provider="simulated")}
    registry = ProviderRegistry.from_config(routes, {"simulated": factory})
    assert registry.resolve("A") is registry.resolve("b")
    assert built == [routes]
    with pytest.raises(InvalidInputError, match="no factory"):
        ProviderRegistry.from_config({"x": ModelRoute(provider="openai")}, {})


def test_duplicate_route_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="name the same model"):
        ProvidersConfig(routes={"ChatGPT": ModelRoute(provider="simulated"),
                                "chatgpt ": ModelRoute(provider="simulated")})  # fmt: skip


def test_only_routed_providers_are_built_and_need_keys() -> None:
    build_registry(ProvidersConfig(), simulated_seed=0)  # no keys needed offline
    needs_key = ProvidersConfig(routes={"gpt-4.1": ModelRoute(provider="openai")})
    with pytest.raises(InvalidInputError, match=r"providers\.openai\.api_key"):
        build_registry(needs_key, simulated_seed=0)
    azure_only = ProvidersConfig(
        routes={"gpt-4.1": ModelRoute(provider="azure_openai")},
        azure_openai=AzureOpenAIConfig(
            endpoint="https://example.openai.azure.com",
            api_key=SecretStr("k"),
            deployments={"gpt-4.1": "dep"},
        ),
    )
    assert build_registry(azure_only, simulated_seed=0).resolve("gpt-4.1").name == "azure_openai"
    no_dataset = ProvidersConfig(
        routes={"gemini": ModelRoute(provider="brightdata_gemini")},
        brightdata=BrightDataConfig(api_key=SecretStr("k")),
    )
    with pytest.raises(InvalidInputError, match="gemini_dataset_id"):
        build_registry(no_dataset, simulated_seed=0)


def test_unpriced_openai_model_is_a_configuration_error() -> None:
    config = ProvidersConfig(
        routes={"mystery": ModelRoute(provider="openai", upstream_model="o9-ultra")},
        openai={"api_key": "k"},  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidInputError, match="no token price for model 'o9-ultra'"):
        build_registry(config, simulated_seed=0)


@pytest.mark.parametrize(
    ("model", "priced_as"),
    [("gpt-4.1", "gpt-4.1"), ("gpt-4.1-mini", "gpt-4.1-mini"),
     ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"), ("gpt-4.1-2025-04-14", "gpt-4.1"),
     ("gpt-5-chat-latest", "gpt-5"), ("gpt-5.1-chat-latest", "gpt-5.1"),
     ("gpt-5-mini-2025-08-07", "gpt-5-mini"), ("GPT-5.2", "gpt-5.2")],
)  # fmt: skip
def test_price_lookup_is_exact_then_longest_prefix(model: str, priced_as: str) -> None:
    assert find_price(model) == TOKEN_PRICES[priced_as]


def test_price_of_an_answer() -> None:
    assert find_price("llama-3") is None
    assert openai_answer_cost("gpt-4.1", 1_000_000, 1_000_000) == pytest.approx(10.01)
    assert openai_answer_cost("gpt-4.1-mini", 1000, 500, web_searches=0) == pytest.approx(0.0012)


def test_every_iso_country_is_known_and_unknown_codes_raise() -> None:
    assert len(COUNTRY_NAMES) == 249
    assert all(len(code) == 2 and code.isupper() for code in COUNTRY_NAMES)
    assert normalise_country_code(" uk ") == "GB"
    assert country_name("ie") == "Ireland" and country_name("NZ") == "New Zealand"
    for bad in ["XX", "ZZ", "USA", ""]:
        with pytest.raises(InvalidInputError, match="unknown country code"):
            normalise_country_code(bad)
