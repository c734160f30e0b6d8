"""Linkup answers: `POST {base_url}/search` for a sourced answer with inline citations.

The request is the old system's (domain.md §3): Bearer auth, body `{q, depth, outputType:
"sourcedAnswer", includeImages: false, includeInlineCitations: true}`, with `q` the localised
question. The answer's inline `[n]` markers become markdown links to `sources[n-1].url`. An
empty answer is the failure placeholder (the old behaviour), still billed as a search.

Failure policy, per request (Linkup's error body is `{statusCode, error: {code, message}}`):
- 408, 409, 429, 5xx, timeouts, dropped connections: `ProviderTransientError` with the
  server's Retry-After; retried here, raised once attempts run out.
- 429 or 402 about credit, 401, 403: `ProviderError` at once (the account, not the moment).
- Other 4xx (a query with no result, a rejected parameter) and a body we cannot read: a
  non-transient `ProviderFailure` for that cell only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.providers.base import (
    PLACEHOLDER_TEXT,
    CellPrompt,
    ProviderAnswer,
    ProviderFailure,
    localised_question,
)
from handlers.providers.brightdata import link_citations
from handlers.providers.config import LinkupConfig
from handlers.providers.limiting import Limiter
from handlers.providers.pricing import LINKUP_COST_PER_ANSWER_USD
from handlers.providers.ratelimit import retry_after_from_headers
from handlers.providers.retrying import RetryPolicy, call_with_retries

TRANSIENT_STATUSES = frozenset({408, 409, 429})
FATAL_STATUSES = frozenset({401, 402, 403})
_BODY_EXCERPT = 300


class _Source(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    url: str | None = None


class _SourcedAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    answer: str | None
    sources: list[_Source] = []


class _CellFailedError(Exception):
    """A permanent failure of one cell; becomes a ProviderFailure, never retried."""


def _excerpt(text: str) -> str:
    return text[:_BODY_EXCERPT].replace("\n", " ")


def _out_of_credit(response: httpx.Response) -> bool:
    """Linkup answers 429 both for too many requests and for an account out of credit."""
    try:
        code = str(response.json().get("error", {}).get("code", ""))
    except (ValueError, AttributeError):
        return False
    return "CREDIT" in code.upper()


def linked_answer(answer: str, sources: list[_Source]) -> str:
    """`answer` with each `[n]` turned into a link to `sources[n-1].url`."""
    links = [{"position": n, "url": s.url} for n, s in enumerate(sources, 1) if s.url]
    return link_citations(answer, links)


class LinkupProvider:
    """Answers one cell per request (`max_batch` 1); Linkup bills per search, not per token."""

    max_batch = 1

    def __init__(
        self,
        *,
        http: httpx.Client,
        settings: LinkupConfig,
        limiter: Limiter,
        retry_policy: RetryPolicy,
        name: str = "linkup",
        sleep: Callable[[float], None] = time.sleep,
        timer: Callable[[], float] = time.perf_counter,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.api_key is None or not settings.api_key.get_secret_value():
            raise InvalidInputError(
                "a model routes to linkup but providers.linkup.api_key is not set",
                hint="set providers.linkup.api_key (SENSO_LINKUP_API_KEY), or route it elsewhere",
            )
        self.name = name
        self._http = http
        self._settings = settings
        self._headers = {"Authorization": f"Bearer {settings.api_key.get_secret_value()}"}
        self._url = f"{settings.base_url.rstrip('/')}/search"
        self.limiter = limiter
        self._retry_policy = retry_policy
        self._sleep = sleep
        self._timer = timer
        self._wall_clock = wall_clock

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        return [self._answer_one(prompt) for prompt in prompts]

    def _answer_one(self, prompt: CellPrompt) -> ProviderAnswer | ProviderFailure:
        body = {
            "q": localised_question(prompt),
            "depth": self._settings.depth,
            "outputType": "sourcedAnswer",
            "includeImages": False,
            "includeInlineCitations": True,
        }
        started = self._timer()
        try:
            result = call_with_retries(
                lambda: self._request(body, prompt.org_id), self._retry_policy, sleep=self._sleep
            )
        except _CellFailedError as failure:
            return ProviderFailure(cell_key=prompt.cell_key, reason=str(failure), transient=False)
        latency_ms = (self._timer() - started) * 1000
        text = (result.answer or "").strip()
        return ProviderAnswer(
            cell_key=prompt.cell_key,
            text=linked_answer(text, result.sources) if text else PLACEHOLDER_TEXT,
            provider=self.name,
            model=prompt.model,
            input_tokens=None,
            output_tokens=None,
            # The search ran and is billed whether or not it produced an answer.
            cost_usd=LINKUP_COST_PER_ANSWER_USD,
            simulated=False,
            latency_ms=latency_ms,
            placeholder=not text,
            web_search=True,
        )

    def _request(self, body: dict[str, object], org: str | None) -> _SourcedAnswer:
        with self.limiter.slot(org=org) as grant:
            try:
                response = self._http.post(
                    self._url, json=body, headers=self._headers, timeout=self._settings.timeout_s
                )
            except httpx.TimeoutException as error:
                raise ProviderTransientError(f"{self.name} timed out") from error
            except httpx.TransportError as error:
                raise ProviderTransientError(
                    f"{self.name} connection failed: {type(error).__name__}"
                ) from error
            self.limiter.observe_headers(response.headers, sent_at=grant.granted_at)
            status = response.status_code
            if status != 200:
                failure = self._status_error(response)
                if status == 429 and isinstance(failure, ProviderTransientError):
                    grant.rejected(failure.retry_after)
                raise failure
            try:
                return _SourcedAnswer.model_validate(response.json())
            except (ValueError, ValidationError) as error:
                raise _CellFailedError(
                    f"{self.name} sent a malformed body: {_excerpt(response.text)!r}"
                ) from error

    def _status_error(self, response: httpx.Response) -> Exception:
        status = response.status_code
        detail = f"{self.name} answered HTTP {status}: {_excerpt(response.text)}"
        if status in FATAL_STATUSES or (status == 429 and _out_of_credit(response)):
            hint = "check providers.linkup.api_key and the account's credit"
            return ProviderError(detail, hint=hint)
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = retry_after_from_headers(response.headers, now=self._wall_clock())
            return ProviderTransientError(detail, retry_after=wait)
        return _CellFailedError(detail)
