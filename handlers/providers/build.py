"""Building the provider registry from `ProvidersConfig`: the one place that wires clients.

Only providers that some route (or the default) points at are built, so an offline setup needs
no key, and Azure never demands an OpenAI key (weakness 8). Each provider gets one
`RateLimiter` from its `rate_limit` settings; the provider instance, and with it the limiter,
is shared by every thread that resolves the same model, which is what keeps a matrix of worker
threads under the provider's RPM/TPM. The three BrightData datasets share one account, so they
share one limiter and one HTTP client.

Each provider's module, and with it its SDK or HTTP client (openai, anthropic, httpx), is
imported by its factory, when a route first resolves to it: a registry that routes everything
to the simulator loads none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from handlers.errors import InvalidInputError
from handlers.providers.base import Provider, UpstreamModel
from handlers.providers.config import (
    AzureOpenAIConfig,
    ModelRoute,
    ProviderKind,
    ProvidersConfig,
    RateLimitConfig,
    normalise_model_name,
)
from handlers.providers.fleet_limiter import Connect, FleetLimiter, account_key
from handlers.providers.limiting import Limiter
from handlers.providers.pricing import require_price
from handlers.providers.ratelimit import RateLimiter
from handlers.providers.registry import ProviderFactory, ProviderRegistry
from handlers.providers.retrying import RetryPolicy
from handlers.providers.simulated import SimulatedProvider

if TYPE_CHECKING:
    import httpx
    import httpx2
    from pydantic import SecretStr

    from handlers.providers.brightdata import DatasetKind
    from handlers.providers.brightdata_client import BrightDataClient

HttpClientFactory = Callable[[str], "httpx.Client"]
"""Makes the httpx client of a provider family ("brightdata", "linkup"), e.g. for a fake."""

OpenAIHttpClientFactory = Callable[[str], "httpx2.Client"]
"""Makes the httpx2 client an SDK uses for "openai", "azure_openai" or "anthropic"."""


def azure_deployments(
    config: AzureOpenAIConfig, routes: Mapping[str, ModelRoute]
) -> tuple[dict[str, UpstreamModel], dict[str, str]]:
    """(served models, unservable models with the reason) of the routes that point at Azure."""
    mapped = {normalise_model_name(name): dep for name, dep in config.deployments.items()}
    served: dict[str, UpstreamModel] = {}
    unservable: dict[str, str] = {}
    for name, route in routes.items():
        deployment = route.azure_deployment or mapped.get(normalise_model_name(name))
        if not deployment:
            unservable[name] = "routes to azure_openai but has no deployment in its config"
            continue
        priced_as = route.upstream_model or name
        require_price(priced_as)
        served[name] = UpstreamModel(request_model=deployment, priced_as=priced_as)
    return served, unservable


def build_registry(
    config: ProvidersConfig,
    *,
    simulated_seed: int,
    http_client_factory: HttpClientFactory | None = None,
    openai_http_client_factory: OpenAIHttpClientFactory | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    fleet_connect: Connect | None = None,
) -> ProviderRegistry:
    """A registry with every routed-to provider built, wired and rate-limited.

    With `fleet_connect` (a connection to senso's database) and `config.shared_limits`, each
    provider account's budget is a `FleetLimiter` shared by every process; otherwise a
    `RateLimiter` paces this process alone.
    """
    closers: list[Callable[[], None]] = []
    brightdata_client: list[BrightDataClient] = []

    def limiter(rate: RateLimitConfig, provider: str, secret: SecretStr | None) -> Limiter:
        if fleet_connect is not None and config.shared_limits:
            fleet = FleetLimiter(
                fleet_connect,
                account=account_key(provider, secret.get_secret_value() if secret else None),
                rpm=rate.rpm,
                tpm=rate.tpm,
                max_concurrency=rate.max_concurrency,
                sleep=sleep,
            )
            closers.append(fleet.close)
            return fleet
        return RateLimiter(
            rpm=rate.rpm,
            tpm=rate.tpm,
            max_concurrency=rate.max_concurrency,
            clock=clock,
            sleep=sleep,
        )

    def openai_http(name: str) -> httpx2.Client | None:
        if openai_http_client_factory is None:
            return None
        client = openai_http_client_factory(name)
        closers.append(client.close)
        return client

    def simulated(_: dict[str, ModelRoute]) -> Provider:
        sim = config.simulated
        return SimulatedProvider(
            seed=simulated_seed,
            latency_ms=sim.latency_ms,
            error_rate=sim.error_rate,
            max_batch=sim.max_batch,
            sleep=sleep,
        )

    def openai_provider(routes: dict[str, ModelRoute]) -> Provider:
        from handlers.providers.openai_responses import (
            OpenAIResponsesProvider,
            openai_client,
            openai_models,
        )

        settings = config.openai
        return OpenAIResponsesProvider(
            name="openai",
            client=openai_client(settings, openai_http("openai")),
            models=openai_models({name: route.upstream_model for name, route in routes.items()}),
            limiter=limiter(settings.rate_limit, "openai", settings.api_key),
            retry_policy=RetryPolicy.from_config(settings.retry),
            web_search_tool=settings.web_search_tool,
            expected_output_tokens=settings.expected_output_tokens,
            sleep=sleep,
        )

    def azure_provider(routes: dict[str, ModelRoute]) -> Provider:
        from handlers.providers.openai_responses import OpenAIResponsesProvider, azure_client

        settings = config.azure_openai
        served, _ = azure_deployments(settings, routes)
        return OpenAIResponsesProvider(
            name="azure_openai",
            client=azure_client(settings, openai_http("azure_openai")),
            models=served,
            limiter=limiter(settings.rate_limit, "azure_openai", settings.api_key),
            retry_policy=RetryPolicy.from_config(settings.retry),
            web_search_tool=settings.web_search_tool,
            expected_output_tokens=settings.expected_output_tokens,
            sleep=sleep,
        )

    def anthropic_provider(routes: dict[str, ModelRoute]) -> Provider:
        from handlers.providers.anthropic_messages import (
            AnthropicProvider,
            anthropic_client,
            anthropic_models,
        )

        settings = config.anthropic
        return AnthropicProvider(
            client=anthropic_client(settings, openai_http("anthropic")),
            models=anthropic_models({name: route.upstream_model for name, route in routes.items()}),
            limiter=limiter(settings.rate_limit, "anthropic", settings.api_key),
            retry_policy=RetryPolicy.from_config(settings.retry),
            settings=settings,
            sleep=sleep,
        )

    def linkup_provider(_: dict[str, ModelRoute]) -> Provider:
        import httpx

        from handlers.providers.linkup import LinkupProvider

        settings = config.linkup
        http = http_client_factory("linkup") if http_client_factory is not None else httpx.Client()
        closers.append(http.close)
        return LinkupProvider(
            http=http,
            settings=settings,
            limiter=limiter(settings.rate_limit, "linkup", settings.api_key),
            retry_policy=RetryPolicy.from_config(settings.retry),
            sleep=sleep,
        )

    def shared_brightdata_client() -> BrightDataClient:
        import httpx

        from handlers.providers.brightdata_client import BrightDataClient

        if brightdata_client:
            return brightdata_client[0]
        settings = config.brightdata
        if settings.api_key is None:
            raise InvalidInputError(
                "a model routes to brightdata but providers.brightdata.api_key is not set"
            )
        if http_client_factory is not None:
            http = http_client_factory("brightdata")
        else:
            http = httpx.Client()
        closers.append(http.close)
        client = BrightDataClient(
            http=http,
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value(),
            limiter=limiter(settings.rate_limit, "brightdata", settings.api_key),
            retry_policy=RetryPolicy.from_config(settings.retry),
            timeout_s=settings.timeout_s,
            poll_interval_s=settings.poll_interval_s,
            poll_deadline_s=settings.poll_deadline_s,
            snapshot_retry_interval_s=settings.snapshot_retry_interval_s,
            snapshot_max_attempts=settings.snapshot_max_attempts,
            clock=clock,
            sleep=sleep,
        )
        brightdata_client.append(client)
        return client

    def brightdata_factory(kind: DatasetKind) -> ProviderFactory:
        def build(_: dict[str, ModelRoute]) -> Provider:
            from handlers.providers.brightdata import DATASETS, BrightDataProvider

            settings = config.brightdata
            dataset_id = getattr(settings, f"{kind}_dataset_id")
            if not dataset_id:
                raise InvalidInputError(
                    f"a model routes to brightdata_{kind} but "
                    f"providers.brightdata.{kind}_dataset_id is not set"
                )
            return BrightDataProvider(
                name=f"brightdata_{kind}",
                dataset=DATASETS[kind],
                dataset_id=dataset_id,
                client=shared_brightdata_client(),
                chunk_size=getattr(settings, f"{kind}_chunk_size"),
            )

        return build

    factories: dict[ProviderKind, ProviderFactory] = {
        "simulated": simulated,
        "openai": openai_provider,
        "azure_openai": azure_provider,
        "brightdata_chatgpt": brightdata_factory("chatgpt"),
        "brightdata_perplexity": brightdata_factory("perplexity"),
        "brightdata_gemini": brightdata_factory("gemini"),
        "anthropic": anthropic_provider,
        "linkup": linkup_provider,
    }
    azure_routes = {n: r for n, r in config.routes.items() if r.provider == "azure_openai"}
    _, unservable = azure_deployments(config.azure_openai, azure_routes)
    return ProviderRegistry.from_config(
        config.routes,
        factories,
        default_provider=config.default_provider,
        unavailable=unservable,
        closers=closers,
    )
