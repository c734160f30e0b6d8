"""Anthropic (Claude) answers through the official SDK's Messages API.

Each cell is one `messages.create` call: the localised question as the user turn, the geo
model's upstream id, `max_tokens` (and `temperature` when set) from config, and Anthropic's
server-side web search tool (`web_search_20250305`, with the cell's approximate location) when
the model is one the tool supports. Other models answer without it, and the answer says so
(`ProviderAnswer.web_search` False). A model that refuses the tool with a 400 is asked once more
without it, with the same note.

A long server-tool turn may stop with `pause_turn`; the turn is sent back as the assistant's
message so the model resumes it, up to `max_continuations` times, and usage is summed.

Failure policy, per request (the taxonomy of `handlers.errors`, like `openai_responses`):
- 408, 409, 429, 5xx and 529 (overloaded), timeouts, dropped connections:
  `ProviderTransientError` carrying `Retry-After`; retried here, raised once attempts run out.
- 429 whose `error.details.error_code` is `enforced_spend_limit_reached`, 401, 403, 404:
  `ProviderError` at once; no retry helps until someone changes the account.
- Other 4xx and a body we cannot read: a non-transient `ProviderFailure` for that cell only.
`Retry-After` and exhausted `anthropic-ratelimit-*` budgets pause the shared limiter.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anthropic
import httpx2
from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.providers.base import (
    CellPrompt,
    ProviderAnswer,
    ProviderFailure,
    UnknownModelError,
    localised_question,
)
from handlers.providers.config import AnthropicConfig, normalise_model_name
from handlers.providers.countries import normalise_country_code
from handlers.providers.limiting import Limiter
from handlers.providers.pricing import anthropic_answer_cost, require_price
from handlers.providers.ratelimit import retry_after_from_headers
from handlers.providers.retrying import RetryPolicy, call_with_retries

TRANSIENT_STATUSES = frozenset({408, 409, 429, 529})
FATAL_STATUSES = frozenset({401, 403, 404})
SPEND_LIMIT_CODE = "enforced_spend_limit_reached"
WEB_SEARCH_TOOL = "web_search_20250305"
_BODY_EXCERPT = 300
_RATELIMIT_KINDS = ("requests", "tokens", "input-tokens", "output-tokens")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Citation(_Lenient):
    type: str
    url: str | None = None


class _Block(_Lenient):
    type: str
    text: str | None = None
    citations: list[_Citation] | None = None


class _ServerToolUse(_Lenient):
    web_search_requests: int = 0


class _Usage(_Lenient):
    input_tokens: int
    output_tokens: int
    server_tool_use: _ServerToolUse | None = None


class _MessageBody(_Lenient):
    """The part of a Messages API body we rely on, validated instead of trusted."""

    model: str | None = None
    stop_reason: str | None = None
    content: list[_Block]
    usage: _Usage


@dataclass(frozen=True)
class _Turn:
    body: _MessageBody
    raw_content: list[Any]


class _CellFailedError(Exception):
    """A permanent failure of one cell; becomes a ProviderFailure, never retried."""


class _ToolRefusedError(_CellFailedError):
    """The model answered 400 to the web search tool; the cell is asked again without it."""


def _excerpt(text: str) -> str:
    return text[:_BODY_EXCERPT].replace("\n", " ")


def anthropic_reset(headers: Mapping[str, str], *, now: float, request_tokens: int) -> float | None:
    """Seconds until an exhausted `anthropic-ratelimit-*` budget refills; None when none is.

    Anthropic reports each budget's remaining amount and an RFC 3339 reset time. A budget is
    exhausted when it cannot take one more request of the size just sent.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    resets: list[float] = []
    for kind in _RATELIMIT_KINDS:
        remaining = lowered.get(f"anthropic-ratelimit-{kind}-remaining")
        reset = lowered.get(f"anthropic-ratelimit-{kind}-reset")
        if remaining is None or reset is None:
            continue
        needed = 1 if kind == "requests" else max(1, request_tokens)
        try:
            exhausted = float(remaining) < needed
            when = datetime.fromisoformat(reset.strip().replace("Z", "+00:00")).timestamp()
        except ValueError:
            continue
        if exhausted:
            resets.append(max(0.0, when - now))
    return max(resets) if resets else None


def _render(blocks: list[_Block]) -> str:
    """The answer text; each cited passage is followed by links to the pages it cites."""
    parts: list[str] = []
    for block in blocks:
        if block.type != "text" or not block.text:
            continue
        parts.append(block.text)
        urls = list(dict.fromkeys(c.url for c in block.citations or [] if c.url))
        if urls:
            parts.append(" " + " ".join(f"[{n}]({url})" for n, url in enumerate(urls, 1)))
    return "".join(parts).strip()


class AnthropicProvider:
    """Answers one cell per request (`max_batch` 1) through `client.messages.create`."""

    max_batch = 1

    def __init__(
        self,
        *,
        client: anthropic.Anthropic,
        models: Mapping[str, str],
        limiter: Limiter,
        retry_policy: RetryPolicy,
        settings: AnthropicConfig,
        name: str = "anthropic",
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.perf_counter,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        # Bound now: the SDK loads the resource lazily, and that import paid between the
        # limiter's grant and the send would make the request arrive late (see openai_responses).
        self._create = client.messages.with_raw_response.create
        self._models = {normalise_model_name(key): value for key, value in models.items()}
        self._configured = list(models)
        self.limiter = limiter
        self._retry_policy = retry_policy
        self._settings = settings
        self._sleep = sleep
        self._timer = timer
        self._wall_clock = wall_clock

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        return [self._answer_one(prompt) for prompt in prompts]

    def supports_web_search(self, model: str) -> bool:
        """Whether `model` gets the web search tool (config switch and model family)."""
        name = model.strip().lower()
        return self._settings.web_search and any(
            name.startswith(prefix) for prefix in self._settings.web_search_models
        )

    def _answer_one(self, prompt: CellPrompt) -> ProviderAnswer | ProviderFailure:
        model = self._models.get(normalise_model_name(prompt.model))
        if model is None:
            detail = f"{self.name} has no upstream model mapped for it"
            raise UnknownModelError(prompt.model, self._configured, detail=detail)
        question = localised_question(prompt)
        tools = [self._tool(prompt)] if self.supports_web_search(model) else []
        started = self._timer()
        try:
            turns = self._conversation(model, question, tools, prompt.org_id)
        except _ToolRefusedError:
            tools = []
            try:
                turns = self._conversation(model, question, tools, prompt.org_id)
            except _CellFailedError as failure:
                return self._failure(prompt, str(failure))
        except _CellFailedError as failure:
            return self._failure(prompt, str(failure))
        latency_ms = (self._timer() - started) * 1000
        blocks = [block for turn in turns for block in turn.body.content]
        text = _render(blocks)
        last = turns[-1].body
        if not text:
            reason = f"{self.name} returned no answer text (stop_reason {last.stop_reason})"
            return self._failure(prompt, reason)
        input_tokens = sum(turn.body.usage.input_tokens for turn in turns)
        output_tokens = sum(turn.body.usage.output_tokens for turn in turns)
        searches = sum(
            (turn.body.usage.server_tool_use or _ServerToolUse()).web_search_requests
            for turn in turns
        )
        used_model = last.model or model
        priced_as = used_model if _priced(used_model) else model
        return ProviderAnswer(
            cell_key=prompt.cell_key,
            text=text,
            provider=self.name,
            model=used_model,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=anthropic_answer_cost(
                priced_as, input_tokens, output_tokens, web_searches=searches
            ),
            simulated=False,
            latency_ms=latency_ms,
            web_search=bool(tools),
        )

    def _failure(self, prompt: CellPrompt, reason: str) -> ProviderFailure:
        return ProviderFailure(cell_key=prompt.cell_key, reason=reason, transient=False)

    def _tool(self, prompt: CellPrompt) -> dict[str, Any]:
        location: dict[str, Any] = {
            "type": "approximate",
            "country": normalise_country_code(prompt.country_code),
        }
        region = (prompt.region_name or "").strip()
        if region:
            location["region"] = region
        return {
            "type": WEB_SEARCH_TOOL,
            "name": "web_search",
            "max_uses": self._settings.web_search_max_uses,
            "user_location": location,
        }

    def _conversation(
        self, model: str, question: str, tools: list[dict[str, Any]], org: str | None
    ) -> list[_Turn]:
        messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
        turns: list[_Turn] = []
        for _ in range(self._settings.max_continuations + 1):
            turn = call_with_retries(
                functools.partial(self._request, model, messages, tools, org),
                self._retry_policy,
                sleep=self._sleep,
            )
            turns.append(turn)
            if turn.body.stop_reason != "pause_turn":
                break
            # The paused turn goes back as the assistant's message; the model carries on.
            messages = [messages[0], {"role": "assistant", "content": turn.raw_content}]
        return turns

    def _request(self, model: str, messages: list[Any], tools: list[Any], org: str | None) -> _Turn:
        estimate = math.ceil(len(json.dumps(messages)) / 4) + self._settings.expected_output_tokens
        options: dict[str, Any] = {"tools": tools} if tools else {}
        if self._settings.temperature is not None:
            options["extra_body"] = {"temperature": self._settings.temperature}
        with self.limiter.slot(estimate, org=org) as grant:
            try:
                raw = self._create(
                    model=model,
                    max_tokens=self._settings.max_tokens,
                    messages=messages,
                    **options,
                )
            except anthropic.APIStatusError as error:
                self._observe(error.response.headers, estimate, grant.granted_at)
                failure = self._status_error(error, tools=bool(tools))
                if error.status_code == 429 and isinstance(failure, ProviderTransientError):
                    grant.rejected(failure.retry_after)
                raise failure from error
            except anthropic.APITimeoutError as error:
                raise ProviderTransientError(f"{self.name} timed out") from error
            except anthropic.APIConnectionError as error:
                raise ProviderTransientError(f"{self.name} connection failed: {error}") from error
            self._observe(raw.headers, estimate, grant.granted_at)
            try:
                text = raw.text()
                data = json.loads(text)
                body = _MessageBody.model_validate(data)
            except (ValueError, ValidationError) as error:
                raise _CellFailedError(
                    f"{self.name} sent a malformed body: {_excerpt(raw.http_response.text)!r}"
                ) from error
            grant.settle(body.usage.input_tokens + body.usage.output_tokens)
            return _Turn(body=body, raw_content=list(data["content"]))

    def _observe(self, headers: Mapping[str, str], estimate: int, sent_at: float) -> None:
        self.limiter.observe_headers(headers, request_tokens=estimate, sent_at=sent_at)
        reset = anthropic_reset(headers, now=self._wall_clock(), request_tokens=estimate)
        if reset:
            self.limiter.pause(reset)

    def _status_error(self, error: anthropic.APIStatusError, *, tools: bool) -> Exception:
        status = error.status_code
        text = error.response.text
        detail = f"{self.name} answered HTTP {status}: {_excerpt(text)}"
        if status == 429 and SPEND_LIMIT_CODE in text:
            return ProviderError(detail, hint="the Anthropic account reached its spend limit")
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = retry_after_from_headers(error.response.headers, now=self._wall_clock())
            return ProviderTransientError(detail, retry_after=wait)
        if status in FATAL_STATUSES:
            hint = "check providers.anthropic.api_key and the routes' upstream_model ids"
            return ProviderError(detail, hint=hint)
        if status == 400 and tools and "web_search" in text:
            return _ToolRefusedError(detail)
        return _CellFailedError(detail)


def _priced(model: str) -> bool:
    try:
        require_price(model)
    except InvalidInputError:
        return False
    return True


def anthropic_client(
    config: AnthropicConfig, http_client: httpx2.Client | None = None
) -> anthropic.Anthropic:
    """An SDK client with the SDK's own retries off (`retrying` is the one place retries happen)."""
    if config.api_key is None:
        raise InvalidInputError(
            "a model routes to anthropic but providers.anthropic.api_key is not set",
            hint="set providers.anthropic.api_key (SENSO_ANTHROPIC_API_KEY), or route it elsewhere",
        )
    return anthropic.Anthropic(
        api_key=config.api_key.get_secret_value(),
        base_url=config.base_url,
        timeout=config.timeout_s,
        max_retries=0,
        http_client=http_client,
    )


def anthropic_models(routes: Mapping[str, str | None]) -> dict[str, str]:
    """Upstream model ids: the route's `upstream_model` or the geo model name; all priced."""
    models: dict[str, str] = {}
    for geo_model, upstream in routes.items():
        model = upstream or geo_model
        require_price(model)
        models[geo_model] = model
    return models
