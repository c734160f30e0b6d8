"""The provider contract: what a cell asks, what a provider answers, and how it may fail.

A *cell* is one (question, geo model, location) of an org's matrix. Every answer provider takes
a list of cells and returns one result per cell, in the same order. A cell that fails on its own
(an unmatched scraper record, a rejected request) comes back as a `ProviderFailure` so the rest
of the list survives; a failure that concerns the whole call (throttling after every retry, a
revoked key) is raised as a `ProviderTransientError` or `ProviderError` from `handlers.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from handlers.errors import InvalidInputError
from handlers.providers.countries import country_name

PLACEHOLDER_TEXT = "Question run failed for this model and location"
"""The stored text of a run whose scraper record was an error or empty (kept from the old system
so existing evaluation code recognises it)."""


@dataclass(frozen=True)
class UpstreamModel:
    """What one geo model is sent as (`request_model`) and priced as (`priced_as`): a route's
    upstream name (OpenAI, Azure and Anthropic routes)."""

    request_model: str
    priced_as: str


class CellPrompt(BaseModel):
    """One cell of the question matrix, as a provider needs it."""

    model_config = ConfigDict(frozen=True)

    cell_key: str = Field(min_length=1)
    question: str = Field(min_length=1)
    model: str = Field(min_length=1)
    country_code: str = Field(min_length=2)
    region_name: str | None = None
    org_name: str
    org_websites: list[str] = Field(default_factory=list)
    org_id: str | None = None
    """Whose matrix the cell belongs to; the fleet-wide limiter shares budgets fairly by it."""


class ProviderAnswer(BaseModel):
    """A provider's answer to one cell."""

    model_config = ConfigDict(frozen=True)

    cell_key: str
    text: str
    provider: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float
    simulated: bool
    latency_ms: float
    placeholder: bool = False
    web_search: bool | None = None
    """Whether the answer could search the web: False when the provider answered without it
    (a Claude model the search tool does not support); None when the provider has no choice."""


class ProviderFailure(BaseModel):
    """One cell that got no answer while the rest of its call went on."""

    model_config = ConfigDict(frozen=True)

    cell_key: str
    reason: str
    transient: bool


CellResult = ProviderAnswer | ProviderFailure


@runtime_checkable
class Provider(Protocol):
    """Anything that answers cells: the simulator, OpenAI/Azure, the BrightData scrapers."""

    name: str
    max_batch: int

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        """Answer every prompt; results come back in the prompts' order."""
        ...


def location_phrase(country_code: str, region_name: str | None) -> str:
    """Render a location as "Region, Country" (or just "Country"); unknown codes raise."""
    country = country_name(country_code)
    region = (region_name or "").strip()
    return f"{region}, {country}" if region else country


def localised_question(prompt: CellPrompt) -> str:
    """The question prefixed with the location instruction every real provider receives."""
    phrase = location_phrase(prompt.country_code, prompt.region_name)
    instruction = f"Answer with information relevant to someone located in {phrase}."
    return f"{instruction}\n\n{prompt.question}"


class UnknownModelError(InvalidInputError):
    """A geo model name that no route, deployment or provider serves."""

    def __init__(self, model: str, configured: list[str], *, detail: str | None = None) -> None:
        listed = ", ".join(sorted(configured)) or "none"
        message = f"no provider serves model {model!r}"
        if detail:
            message += f": {detail}"
        super().__init__(
            f"{message} (configured models: {listed})",
            hint="add an explicit route for it under providers.routes",
        )
        self.model = model
        self.configured = sorted(configured)
