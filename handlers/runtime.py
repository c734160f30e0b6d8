"""Builds what the matrix step needs (providers, evaluator) from the settings, once per process.

The evaluator uses a language model only when OpenAI credentials are configured; offline it is
deterministic. Providers come from `settings.providers` (a `ProvidersConfig`): offline every
model routes to the clearly labelled `simulated` provider. In an AWS environment nothing is
simulated unless configured explicitly: without an explicit `default_provider`, a model with no
route fails the batch before any provider call (`require_routes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.evaluation import (
    CompetitorExtractor,
    MentionVerifier,
    NameVariationGenerator,
    build_evaluator_components,
)
from handlers.evaluation.competitors import DEFAULT_COMPETITOR_MODEL
from handlers.evaluation.limited_client import RateLimitedOpenAI
from handlers.evaluation.verifiers import DEFAULT_VERIFICATION_MODEL
from handlers.matrix.budget import longest_attempt_s, routed_kinds
from handlers.matrix.retries import CellRetryPolicy
from handlers.providers.build import build_registry
from handlers.providers.config import ProvidersConfig
from handlers.providers.fleet_limiter import Connect, FleetLimiter
from handlers.providers.limiting import Limiter
from handlers.providers.ratelimit import RateLimiter
from handlers.providers.registry import ProviderRegistry
from handlers.settings import LOCAL_ENV, WorkflowSettings, load_workflow_settings


@dataclass
class WorkflowServices:
    registry: ProviderRegistry
    generator: NameVariationGenerator
    verifier: MentionVerifier
    extractor: CompetitorExtractor
    concurrency: int
    retry_policy: CellRetryPolicy = field(default_factory=CellRetryPolicy)
    max_failed_cells_ratio: float = 0.05
    # True in AWS environments: every model needs an explicit route (no silent simulation).
    require_routes: bool = False

    def close(self) -> None:
        self.registry.close()


def providers_config(settings: WorkflowSettings) -> ProvidersConfig:
    raw = dict(settings.providers)
    if settings.env != LOCAL_ENV and "default_provider" not in raw:
        # The simulator answers unrouted models only where someone asked for it.
        raw["default_provider"] = None
    try:
        return ProvidersConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(
            f"invalid providers setting providers.{where}: {first['msg']}",
            hint="see `senso config show` and the providers section of docs/operator-guide.md",
        ) from exc


def services_from_environment(environ: Mapping[str, str]) -> WorkflowServices:
    """The matrix step's dependencies as the container builds them: settings from the
    process environment (the task definition's variables and secrets)."""
    return build_services(load_workflow_settings(environ))


def build_services(
    settings: WorkflowSettings, *, registry: ProviderRegistry | None = None
) -> WorkflowServices:
    config = providers_config(settings)
    registry = registry or build_registry(
        config, simulated_seed=settings.simulated_seed, fleet_connect=fleet_connect(settings)
    )
    llm_client: Any | None = None
    model: str | None = None
    azure_models = evaluation_deployments(config)
    if settings.evaluator == "llm" and config.openai.api_key is None and not azure_models:
        raise InvalidInputError(
            "evaluator = llm needs OpenAI or Azure OpenAI credentials",
            hint="set SENSO_OPENAI_API_KEY, or an Azure endpoint, key and a gpt-4.1 deployment",
        )
    if settings.evaluator != "deterministic" and azure_models:
        # Azure first, as the old system: one endpoint, deployments named per model.
        from handlers.evaluation.llm_clients import AzureDeployments
        from handlers.providers.openai_responses import azure_client

        llm_client = RateLimitedOpenAI(
            AzureDeployments(azure_client(config.azure_openai), azure_models),
            evaluator_limiter(registry, config, "azure_openai"),
        )
        # With one deployment, every extraction uses it (domain §4).
        model = next(iter(azure_models)) if len(azure_models) == 1 else None
    elif config.openai.api_key is not None and settings.evaluator != "deterministic":
        import openai

        llm_client = RateLimitedOpenAI(
            openai.OpenAI(
                api_key=config.openai.api_key.get_secret_value(), base_url=config.openai.base_url
            ),
            evaluator_limiter(registry, config),
        )
    generator, verifier, extractor = build_evaluator_components(llm_client, model)
    return WorkflowServices(
        registry=registry,
        generator=generator,
        verifier=verifier,
        extractor=extractor,
        concurrency=settings.matrix_concurrency,
        retry_policy=CellRetryPolicy(
            max_attempts=settings.cell_retry.max_attempts,
            initial_backoff_s=settings.cell_retry.initial_backoff_s,
            max_backoff_s=settings.cell_retry.max_backoff_s,
            budget_s=settings.cell_retry.budget_s,
            attempt_limits={
                kind: longest_attempt_s(config, kind) for kind in routed_kinds(config)
            },
        ),
        max_failed_cells_ratio=settings.max_failed_cells_ratio,
        require_routes=settings.env != LOCAL_ENV and config.default_provider is None,
    )


def fleet_connect(settings: WorkflowSettings) -> Connect | None:
    """Connections to senso's database for the fleet-wide provider budgets (None: no database)."""
    if settings.database_url is None:
        return None
    db = Database(settings.database_url.get_secret_value())
    return lambda: db.connect(autocommit=True)


def evaluation_deployments(config: ProvidersConfig) -> dict[str, str]:
    """The Azure deployments of the evaluation models (gpt-4.1, gpt-4.1-mini), when Azure is
    configured; empty otherwise."""
    azure = config.azure_openai
    if not azure.endpoint or azure.api_key is None:
        return {}
    wanted = (DEFAULT_VERIFICATION_MODEL, DEFAULT_COMPETITOR_MODEL)
    return {m: azure.deployments[m] for m in wanted if m in azure.deployments}


def evaluator_limiter(
    registry: ProviderRegistry,
    config: ProvidersConfig,
    provider_name: Literal["openai", "azure_openai"] = "openai",
) -> Limiter:
    """The provider's own limiter when the matrix uses it (one budget for answers and
    evaluation), else one built from the same settings."""
    provider = registry.providers().get(provider_name)
    limiter = getattr(provider, "limiter", None)
    if isinstance(limiter, (RateLimiter, FleetLimiter)):
        return limiter
    section = config.azure_openai if provider_name == "azure_openai" else config.openai
    rate = section.rate_limit
    return RateLimiter(rpm=rate.rpm, tpm=rate.tpm, max_concurrency=rate.max_concurrency)
