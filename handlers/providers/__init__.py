"""Answer providers: who answers each cell of an org's question matrix, and at what cost.

    base               CellPrompt, ProviderAnswer, ProviderFailure, the Provider protocol
    config             ProvidersConfig (embedded in the project settings), ModelRoute
    registry           explicit model-name routes → provider; UnknownModelError
    build              build_registry(config, simulated_seed=...): the wiring
    simulated          the offline default: deterministic, labelled, free
    openai_responses   OpenAI and Azure OpenAI through the Responses API with web search
    brightdata         the ChatGPT, Perplexity and Gemini scrapers (brightdata_client: HTTP)
    anthropic_messages Claude through the official SDK, with the server-side web search tool
    linkup             Linkup's sourced answers over httpx
    limiting           the Limiter protocol every provider paces its calls with
    ratelimit          per-process RPM/TPM limiter fed by the servers' rate-limit headers
    fleet_limiter      one RPM/TPM budget per account for the whole fleet, in PostgreSQL
    retrying           bounded exponential backoff for transient errors only
    pricing            token prices and fees; countries: ISO 3166-1 codes

Nothing here touches the database or prints: providers return data and raise
`handlers.errors` exceptions.
"""

from __future__ import annotations

from handlers.providers.base import (
    PLACEHOLDER_TEXT,
    CellPrompt,
    Provider,
    ProviderAnswer,
    ProviderFailure,
    UnknownModelError,
)
from handlers.providers.build import build_registry
from handlers.providers.config import ModelRoute, ProviderKind, ProvidersConfig
from handlers.providers.ratelimit import RateLimiter
from handlers.providers.registry import ProviderRegistry, default_routes
from handlers.providers.simulated import SimulatedProvider

__all__ = [
    "PLACEHOLDER_TEXT",
    "CellPrompt",
    "ModelRoute",
    "Provider",
    "ProviderAnswer",
    "ProviderFailure",
    "ProviderKind",
    "ProviderRegistry",
    "ProvidersConfig",
    "RateLimiter",
    "SimulatedProvider",
    "UnknownModelError",
    "build_registry",
    "default_routes",
]
