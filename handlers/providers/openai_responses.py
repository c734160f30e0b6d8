"""OpenAI and Azure OpenAI answers through the Responses API with the web-search tool.

One class serves both: they differ only in the client (base URL, `api-key` header, optional
`api-version`) and in what `model` means (a model id on OpenAI, a deployment on Azure). Each
geo model maps explicitly to what is sent; an unmapped model is an `UnknownModelError`, never
another model's deployment (weakness 8).

Failure policy, per request:
- 408, 409, 429, 5xx, timeouts, dropped connections: `ProviderTransientError` carrying the
  server's Retry-After; retried here (`retrying`), raised once attempts run out.
- 401, 403 (credentials) and 404 (model or deployment missing): `ProviderError`, raised at once,
  since every other cell of the provider would fail the same way.
- Other 4xx and a body we cannot read (bad JSON, no usage, no text): a non-transient
  `ProviderFailure` for that cell only.
Every response's `x-ratelimit-*` and `Retry-After` headers feed the shared `RateLimiter`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping

import httpx2
import openai
from openai.types.responses import ToolParam
from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.providers.base import (
    CellPrompt,
    ProviderAnswer,
    ProviderFailure,
    UnknownModelError,
    UpstreamModel,
    localised_question,
)
from handlers.providers.config import AzureOpenAIConfig, OpenAIConfig, normalise_model_name
from handlers.providers.countries import normalise_country_code
from handlers.providers.limiting import Limiter
from handlers.providers.pricing import find_price, openai_answer_cost, require_price
from handlers.providers.ratelimit import retry_after_from_headers
from handlers.providers.retrying import RetryPolicy, call_with_retries

TRANSIENT_STATUSES = frozenset({408, 409, 429})
FATAL_STATUSES = frozenset({401, 403, 404})
_BODY_EXCERPT = 300


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Content(_Lenient):
    type: str
    text: str | None = None


class _OutputItem(_Lenient):
    type: str
    content: list[_Content] = []


class _Usage(_Lenient):
    input_tokens: int
    output_tokens: int


class _ResponseBody(_Lenient):
    """The part of a Responses API body we rely on, validated instead of trusted."""

    model: str | None = None
    status: str | None = None
    output: list[_OutputItem]
    usage: _Usage


class _CellFailedError(Exception):
    """A permanent failure of one cell; becomes a ProviderFailure, never retried."""


def _excerpt(text: str) -> str:
    return text[:_BODY_EXCERPT].replace("\n", " ")


class OpenAIResponsesProvider:
    """Answers one cell per request (`max_batch` 1) through `client.responses.create`."""

    max_batch = 1

    def __init__(
        self,
        *,
        name: str,
        client: openai.OpenAI,
        models: Mapping[str, UpstreamModel],
        limiter: Limiter,
        retry_policy: RetryPolicy,
        web_search_tool: str = "web_search",
        expected_output_tokens: int = 1500,
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.perf_counter,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self._client = client
        # Resolved now, not on the first call: the SDK imports the Responses resource lazily
        # (~0.2 s, longer with every worker thread waiting on the import lock). Paid between
        # the limiter's grant and the send, that delay made the server stamp the first
        # requests late, and reusing their slots on time was refused with 429.
        self._create = client.responses.with_raw_response.create
        self._models = {normalise_model_name(key): value for key, value in models.items()}
        self._configured = list(models)
        self.limiter = limiter
        self._retry_policy = retry_policy
        self._web_search_tool = web_search_tool
        self._expected_output_tokens = expected_output_tokens
        self._sleep = sleep
        self._timer = timer
        self._wall_clock = wall_clock

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        return [self._answer_one(prompt) for prompt in prompts]

    def _answer_one(self, prompt: CellPrompt) -> ProviderAnswer | ProviderFailure:
        upstream = self._models.get(normalise_model_name(prompt.model))
        if upstream is None:
            detail = f"{self.name} has no model or deployment mapped for it"
            raise UnknownModelError(prompt.model, self._configured, detail=detail)
        text_input = localised_question(prompt)
        tool = self._tool(prompt)
        started = self._timer()
        try:
            body = call_with_retries(
                lambda: self._request(upstream.request_model, text_input, tool, prompt.org_id),
                self._retry_policy,
                sleep=self._sleep,
            )
        except _CellFailedError as failure:
            return ProviderFailure(cell_key=prompt.cell_key, reason=str(failure), transient=False)
        latency_ms = (self._timer() - started) * 1000
        text = "".join(
            content.text or ""
            for item in body.output
            if item.type == "message"
            for content in item.content
            if content.type == "output_text"
        )
        if not text.strip():
            reason = f"{self.name} returned no answer text (status {body.status or 'unknown'})"
            return ProviderFailure(cell_key=prompt.cell_key, reason=reason, transient=False)
        used_model = body.model or upstream.request_model
        # Price what actually ran when the table knows it (a dated OpenAI id); an Azure
        # deployment name is not a model, so fall back to the model the route says it runs.
        priced_as = used_model if find_price(used_model) is not None else upstream.priced_as
        searches = sum(1 for item in body.output if item.type == "web_search_call")
        cost = openai_answer_cost(
            priced_as, body.usage.input_tokens, body.usage.output_tokens, web_searches=searches
        )
        return ProviderAnswer(
            cell_key=prompt.cell_key,
            text=text,
            provider=self.name,
            model=used_model,
            input_tokens=body.usage.input_tokens,
            output_tokens=body.usage.output_tokens,
            cost_usd=cost,
            simulated=False,
            latency_ms=latency_ms,
        )

    def _tool(self, prompt: CellPrompt) -> ToolParam:
        country = normalise_country_code(prompt.country_code)
        region = (prompt.region_name or "").strip() or None
        if self._web_search_tool == "web_search_preview":
            preview: ToolParam = {
                "type": "web_search_preview",
                "user_location": {"type": "approximate", "country": country, "region": region},
            }
            return preview
        current: ToolParam = {
            "type": "web_search",
            "user_location": {"type": "approximate", "country": country, "region": region},
        }
        return current

    def _request(
        self, model: str, text_input: str, tool: ToolParam, org: str | None = None
    ) -> _ResponseBody:
        estimate = math.ceil(len(text_input) / 4) + self._expected_output_tokens
        with self.limiter.slot(estimate, org=org) as reservation:
            try:
                raw = self._create(model=model, input=text_input, tools=[tool])
            except openai.APIStatusError as error:
                self.limiter.observe_headers(
                    error.response.headers, request_tokens=estimate, sent_at=reservation.granted_at
                )
                failure = self._status_error(error)
                if error.status_code == 429 and isinstance(failure, ProviderTransientError):
                    reservation.rejected(failure.retry_after)
                raise failure from error
            except openai.APITimeoutError as error:
                raise ProviderTransientError(f"{self.name} timed out") from error
            except openai.APIConnectionError as error:
                raise ProviderTransientError(f"{self.name} connection failed: {error}") from error
            self.limiter.observe_headers(
                raw.headers, request_tokens=estimate, sent_at=reservation.granted_at
            )
            try:
                body = _ResponseBody.model_validate(json.loads(raw.text))
            except (ValueError, ValidationError) as error:
                raise _CellFailedError(
                    f"{self.name} sent a malformed body: {_excerpt(raw.text)!r}"
                ) from error
            reservation.settle(body.usage.input_tokens + body.usage.output_tokens)
            return body

    def _status_error(self, error: openai.APIStatusError) -> Exception:
        status = error.status_code
        detail = f"{self.name} answered HTTP {status}: {_excerpt(error.response.text)}"
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = retry_after_from_headers(error.response.headers, now=self._wall_clock())
            return ProviderTransientError(detail, retry_after=wait)
        if status in FATAL_STATUSES:
            hint = "check the API key, endpoint and model/deployment names in providers config"
            return ProviderError(detail, hint=hint)
        return _CellFailedError(detail)


def openai_client(config: OpenAIConfig, http_client: httpx2.Client | None = None) -> openai.OpenAI:
    """An SDK client for api.openai.com with the SDK's own retries off (we retry ourselves)."""
    if config.api_key is None:
        raise InvalidInputError(
            "a model routes to openai but providers.openai.api_key is not set",
            hint="set providers.openai.api_key, or route the model elsewhere",
        )
    return openai.OpenAI(
        api_key=config.api_key.get_secret_value(),
        base_url=config.base_url,
        timeout=config.timeout_s,
        max_retries=0,
        http_client=http_client,
    )


def azure_client(
    config: AzureOpenAIConfig, http_client: httpx2.Client | None = None
) -> openai.OpenAI:
    """An SDK client for Azure's v1 endpoint, authenticated with the `api-key` header."""
    if config.api_key is None or not config.endpoint:
        raise InvalidInputError(
            "a model routes to azure_openai but its endpoint or api_key is not set",
            hint="set providers.azure_openai.endpoint and providers.azure_openai.api_key",
        )
    key = config.api_key.get_secret_value()
    return openai.OpenAI(
        api_key=key,
        base_url=f"{config.endpoint.rstrip('/')}/openai/v1",
        timeout=config.timeout_s,
        max_retries=0,
        default_headers={"api-key": key},
        default_query={"api-version": config.api_version} if config.api_version else None,
        http_client=http_client,
    )


def openai_models(routes: Mapping[str, str | None]) -> dict[str, UpstreamModel]:
    """OpenAI upstream models: the route's `upstream_model` or the geo model name itself."""
    models: dict[str, UpstreamModel] = {}
    for geo_model, upstream in routes.items():
        model = upstream or geo_model
        require_price(model)
        models[geo_model] = UpstreamModel(request_model=model, priced_as=model)
    return models
