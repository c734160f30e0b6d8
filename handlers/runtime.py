"""Builds what the matrix step needs (providers, evaluator) from the settings, once per process.

The evaluator uses a language model only when OpenAI credentials are configured; offline it is
deterministic. Providers come from `settings.providers` (a `ProvidersConfig`): offline every
model routes to the clearly labelled `simulated` provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.evaluation import (
    CompetitorExtractor,
    MentionVerifier,
    NameVariationGenerator,
    build_evaluator_components,
)
from handlers.evaluation.limited_client import RateLimitedOpenAI
from handlers.providers.build import build_registry
from handlers.providers.config import ProvidersConfig
from handlers.providers.fleet_limiter import Connect, FleetLimiter
from handlers.providers.limiting import Limiter
from handlers.providers.ratelimit import RateLimiter
from handlers.providers.registry import ProviderRegistry
from handlers.settings import Settings


@dataclass
class WorkflowServices:
    registry: ProviderRegistry
    generator: NameVariationGenerator
    verifier: MentionVerifier
    extractor: CompetitorExtractor
    concurrency: int

    def close(self) -> None:
        self.registry.close()


def providers_config(settings: Settings) -> ProvidersConfig:
    try:
        return ProvidersConfig.model_validate(settings.providers)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(
            f"invalid providers setting providers.{where}: {first['msg']}",
            hint="see `senso config show` and the providers section of docs/operator-guide.md",
        ) from exc


def build_services(
    settings: Settings, *, registry: ProviderRegistry | None = None
) -> WorkflowServices:
    config = providers_config(settings)
    registry = registry or build_registry(
        config, simulated_seed=settings.simulated_seed, fleet_connect=fleet_connect(settings)
    )
    llm_client: Any | None = None
    if settings.evaluator == "llm" and config.openai.api_key is None:
        raise InvalidInputError(
            "evaluator = llm needs OpenAI credentials", hint="set SENSO_OPENAI_API_KEY"
        )
    if config.openai.api_key is not None and settings.evaluator != "deterministic":
        import openai

        llm_client = RateLimitedOpenAI(
            openai.OpenAI(
                api_key=config.openai.api_key.get_secret_value(), base_url=config.openai.base_url
            ),
            evaluator_limiter(registry, config),
        )
    generator, verifier, extractor = build_evaluator_components(llm_client, None)
    return WorkflowServices(
        registry=registry,
        generator=generator,
        verifier=verifier,
        extractor=extractor,
        concurrency=settings.matrix_concurrency,
    )


def fleet_connect(settings: Settings) -> Connect | None:
    """Connections to senso's database for the fleet-wide provider budgets (None: no database)."""
    if settings.database_url is None:
        return None
    db = Database(settings.database_url.get_secret_value())
    return lambda: db.connect(autocommit=True)


def evaluator_limiter(registry: ProviderRegistry, config: ProvidersConfig) -> Limiter:
    """The OpenAI provider's own limiter when the matrix uses OpenAI (one budget for answers
    and evaluation), else one built from the same settings."""
    provider = registry.providers().get("openai")
    limiter = getattr(provider, "limiter", None)
    if isinstance(limiter, (RateLimiter, FleetLimiter)):
        return limiter
    rate = config.openai.rate_limit
    return RateLimiter(rpm=rate.rpm, tpm=rate.tpm, max_concurrency=rate.max_concurrency)
