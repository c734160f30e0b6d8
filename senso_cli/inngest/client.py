"""An httpx client for Inngest: send org evaluation events, read runs, bulk-cancel.

    SensoError (handlers.errors)
    └── InngestError                  an unexpected answer (malformed JSON, missing fields)
        ├── InngestAuthError          401/403: the event key or signing key was rejected
        ├── InngestRequestError       another 4xx: Inngest rejected the request itself
        ├── InngestNotFoundError      404: no such event or run (also NotFoundError)
        └── InngestTransientError     429, 5xx, timeouts, unreachable (also TransientError)

Endpoints, as Inngest documents them:
* Event API `POST {event_api_url}/e/{event_key}` with one event; the answer is
  `{"ids": [...], "status": 200}`. The event's `id` is an idempotency key: Inngest triggers
  functions only for the first event with a given id within 24 hours.
* REST API with `Authorization: Bearer <signing key>`: `GET /v1/events/{id}/runs` and
  `GET /v1/runs/{id}` answer `{"data": ...}`; `POST /v1/cancellations` with app_id,
  function_id, started_after and started_before cancels runs in bulk.

Neither key ever appears in an error message or a log line: the event key travels in the URL
path, so requests carry a placeholder that a transport wrapper swaps for the key only on the
wire (httpx logs the placeholder), and messages never quote URLs with keys or bodies raw.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import httpx

from handlers.config_model import Secret
from handlers.errors import InvalidInputError, NotFoundError, SensoError, TransientError
from senso_cli.settings import InngestSettings

EVENT_NAME = "org.evaluation.process"
APP_ID = "senso-workflows"
FUNCTION_ID = "process-org-evaluation"
DEFAULT_TIMEOUT_S = 10.0
_KEY_PLACEHOLDER = "__senso_event_key__"
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:-]+")
_BODY_EXCERPT = 200


class InngestError(SensoError):
    """Inngest answered in a way senso cannot use."""


class InngestAuthError(InngestError, InvalidInputError):
    """Inngest rejected the event key or signing key (401/403)."""


class InngestRequestError(InngestError, InvalidInputError):
    """Inngest rejected the request (a 4xx other than auth, not found or throttling)."""


class InngestNotFoundError(InngestError, NotFoundError):
    """No such event or run."""


class InngestTransientError(InngestError, TransientError):
    """Throttled, a 5xx, a timeout or no connection: worth trying again later."""


@dataclass(frozen=True)
class SentEvent:
    """`event_id` is senso's idempotency key; `ids` are the ids Inngest stored the event as."""

    event_id: str
    ids: list[str]


@dataclass(frozen=True)
class InngestRun:
    run_id: str
    status: str
    function_id: str | None
    event_id: str | None
    started_at: str | None
    ended_at: str | None
    output: Any

    @property
    def finished(self) -> bool:
        return self.status.lower() in {"completed", "failed", "cancelled"}


@dataclass(frozen=True)
class Cancellation:
    cancellation_id: str
    function_id: str
    started_after: str
    started_before: str
    expression: str | None


def org_evaluation_event_id(org_id: str | UUID, day: date, attempt: int = 1) -> str:
    """The idempotent event id of one org's evaluation on `day` (attempt 2+ for re-runs)."""
    if attempt < 1:
        raise InvalidInputError(f"attempt must be 1 or more, got {attempt}")
    raw = str(org_id)
    clean = _UNSAFE_ID_CHARS.sub("_", raw)
    if clean != raw or len(clean) > 64:
        clean = f"{clean[:40]}_{hashlib.sha256(raw.encode()).hexdigest()[:12]}"
    return f"org-eval-{clean}-{day:%Y%m%d}-a{attempt}"


def _iso(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _secret(value: Secret | str | None) -> str | None:
    if isinstance(value, Secret):
        value = value.get_secret_value()
    return value or None


class _EventKeyTransport(httpx.BaseTransport):
    """Puts the event key into the path on the wire only, so httpx logs never contain it."""

    def __init__(self, inner: httpx.BaseTransport, event_key: str | None) -> None:
        self._inner = inner
        self._key = event_key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._key and _KEY_PLACEHOLDER in request.url.path:
            path = request.url.path.replace(_KEY_PLACEHOLDER, self._key)
            request = httpx.Request(
                request.method,
                request.url.copy_with(path=path),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


class InngestClient:
    """Inngest's Event API and REST API; `transport` is injectable for tests."""

    def __init__(
        self,
        *,
        event_key: Secret | str | None = None,
        signing_key: Secret | str | None = None,
        event_api_url: str = "https://inn.gs",
        api_url: str = "https://api.inngest.com",
        app_id: str = APP_ID,
        function_id: str = FUNCTION_ID,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._event_key = _secret(event_key)
        self._signing_key = _secret(signing_key)
        self._secrets = [key for key in (self._event_key, self._signing_key) if key]
        self.event_api_url = event_api_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.app_id = app_id
        self.function_id = function_id
        inner = transport or httpx.HTTPTransport(retries=0)
        self._http = httpx.Client(
            transport=_EventKeyTransport(inner, self._event_key),
            timeout=timeout_s,
            headers={"User-Agent": "senso-cli"},
        )

    @classmethod
    def from_settings(cls, settings: InngestSettings, **kwargs: Any) -> InngestClient:
        return cls(
            event_key=settings.event_key,
            signing_key=settings.signing_key,
            event_api_url=settings.event_api_url,
            api_url=settings.api_url,
            **kwargs,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- Event API ---------------------------------------------------------------------------
    def send_org_evaluation(
        self,
        org_id: str | UUID,
        *,
        event_id: str,
        triggered_by: str = "manual",
        user_id: str | None = None,
    ) -> SentEvent:
        """Send `org.evaluation.process`; re-sending the same `event_id` triggers nothing new."""
        data: dict[str, Any] = {"org_id": str(org_id), "triggered_by": triggered_by}
        if user_id is not None:
            data["user_id"] = user_id
        return self.send(EVENT_NAME, data, event_id=event_id)

    def send(self, name: str, data: dict[str, Any], *, event_id: str) -> SentEvent:
        if not self._event_key:
            raise InngestAuthError(
                "no Inngest event key configured",
                hint="set SENSO_INNGEST_EVENT_KEY (or inngest.event_key in the config file)",
            )
        body = {"name": name, "data": data, "id": event_id}
        url = f"{self.event_api_url}/e/{_KEY_PLACEHOLDER}"
        answer = self._call("POST", url, "send event", json=body, auth=False)
        ids = answer.get("ids") if isinstance(answer, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InngestError("Inngest's Event API answered without event ids")
        return SentEvent(event_id=event_id, ids=ids)

    # -- REST API ----------------------------------------------------------------------------
    def event_runs(self, event_id: str) -> list[InngestRun]:
        """The function runs an event triggered (by the id Inngest stored it as)."""
        answer = self._call("GET", f"{self.api_url}/v1/events/{event_id}/runs", "list runs")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise InngestError("Inngest answered the runs of an event without a data list")
        return [self._run(item) for item in data]

    def run(self, run_id: str) -> InngestRun:
        """One run's status and output."""
        answer = self._call("GET", f"{self.api_url}/v1/runs/{run_id}", "get run")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise InngestError(f"Inngest answered run {run_id} without data")
        return self._run(data)

    def cancel_runs(
        self,
        started_after: datetime,
        started_before: datetime,
        *,
        function_id: str | None = None,
        expression: str | None = None,
    ) -> Cancellation:
        """Bulk-cancel the function's runs that started in (started_after, started_before)."""
        if started_after >= started_before:
            raise InvalidInputError("started_after must be before started_before")
        body: dict[str, Any] = {
            "app_id": self.app_id,
            "function_id": function_id or self.function_id,
            "started_after": _iso(started_after),
            "started_before": _iso(started_before),
        }
        if expression:
            body["if"] = expression
        answer = self._call("POST", f"{self.api_url}/v1/cancellations", "cancel runs", json=body)
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
            raise InngestError("Inngest answered the cancellation without an id")
        return Cancellation(
            cancellation_id=answer["id"],
            function_id=str(answer.get("function_id", body["function_id"])),
            started_after=str(answer.get("started_after", body["started_after"])),
            started_before=str(answer.get("started_before", body["started_before"])),
            expression=answer.get("if"),
        )

    # -- plumbing ----------------------------------------------------------------------------
    @staticmethod
    def _run(item: Any) -> InngestRun:
        if not isinstance(item, dict) or not isinstance(item.get("run_id"), str):
            raise InngestError("Inngest answered a run without a run_id")
        return InngestRun(
            run_id=item["run_id"],
            status=str(item.get("status", "")),
            function_id=item.get("function_id"),
            event_id=item.get("event_id"),
            started_at=item.get("run_started_at") or item.get("started_at"),
            ended_at=item.get("ended_at"),
            output=item.get("output"),
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "********")
        return text

    def _call(
        self, method: str, url: str, action: str, *, json: Any = None, auth: bool = True
    ) -> Any:
        headers = {}
        if auth and self._signing_key:
            headers["Authorization"] = f"Bearer {self._signing_key}"
        where = httpx.URL(url).host
        try:
            response = self._http.request(method, url, json=json, headers=headers)
        except httpx.TimeoutException:
            raise InngestTransientError(
                f"Inngest {action}: timed out talking to {where}", hint="retry later"
            ) from None
        except httpx.TransportError as exc:
            raise InngestTransientError(
                f"Inngest {action}: cannot reach {where} ({type(exc).__name__})",
                hint="check the network and the configured Inngest URLs",
            ) from None
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise InngestError(f"Inngest {action}: the answer is not JSON") from None
        raise self._status_error(response, action, auth=auth)

    def _status_error(self, response: httpx.Response, action: str, *, auth: bool) -> InngestError:
        status = response.status_code
        detail = self._redact(_error_text(response))
        message = f"Inngest {action} failed: HTTP {status}" + (f" ({detail})" if detail else "")
        if status in (401, 403):
            key = "signing key" if auth else "event key"
            setting = "SENSO_INNGEST_SIGNING_KEY" if auth else "SENSO_INNGEST_EVENT_KEY"
            return InngestAuthError(
                f"Inngest rejected the {key} ({action}: HTTP {status})",
                hint=f"check {setting} for this environment",
            )
        if status == 404:
            return InngestNotFoundError(message)
        if status == 429 or status >= 500:
            return InngestTransientError(message, hint="Inngest is busy or failing; retry later")
        return InngestRequestError(message)


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:_BODY_EXCERPT].strip()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])[:_BODY_EXCERPT]
    return ""
