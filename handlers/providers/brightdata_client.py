"""BrightData datasets v3 over HTTP: trigger a snapshot, wait for it, download it.

The old client polled every 10 s with no limit and waited up to 20 minutes per request
(weakness 9). Here one deadline bounds the whole collection, from trigger to downloaded
snapshot; past it the chunk fails with `ProviderTransientError`, so the step can retry or move
on. Failure policy:
- 408, 429, 5xx, timeouts, connection errors: transient. The trigger and the snapshot download
  are retried (`retrying`); a failed progress poll is simply polled again until the deadline.
- 401, 403, 404 and other 4xx, or a trigger/snapshot body we cannot read: `ProviderError`
  for the whole chunk (a garbled *progress* body is just polled again).
- A snapshot BrightData reports as `failed`, or not ready by the deadline:
  `ProviderTransientError` for the whole chunk (a new trigger may well succeed).
The `httpx.Client`, clock and sleep are injected so tests run against a local server without
real waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from handlers.errors import ProviderError, ProviderTransientError
from handlers.providers.limiting import Limiter
from handlers.providers.ratelimit import retry_after_from_headers
from handlers.providers.retrying import RetryPolicy, call_with_retries

TRANSIENT_STATUSES = frozenset({408, 429})
_EXCERPT = 300

Record = dict[str, Any]


class BrightDataClient:
    """The three calls of the datasets v3 protocol, paced by a shared `RateLimiter`."""

    def __init__(
        self,
        *,
        http: httpx.Client,
        base_url: str,
        api_key: str,
        limiter: Limiter,
        retry_policy: RetryPolicy,
        timeout_s: float = 60.0,
        poll_interval_s: float = 10.0,
        poll_deadline_s: float = 900.0,
        snapshot_retry_interval_s: float = 10.0,
        snapshot_max_attempts: int = 20,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self.limiter = limiter
        self._retry_policy = retry_policy
        self._timeout_s = timeout_s
        self._poll_interval_s = poll_interval_s
        self._poll_deadline_s = poll_deadline_s
        self._snapshot_retry_interval_s = snapshot_retry_interval_s
        self._snapshot_max_attempts = snapshot_max_attempts
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock

    def collect(self, dataset_id: str, body: object) -> list[Record]:
        """Trigger a snapshot for `body`, wait until it is ready and return its records."""
        deadline = self._clock() + self._poll_deadline_s
        snapshot_id = self.trigger(dataset_id, body)
        self.wait_until_ready(snapshot_id, deadline=deadline)
        return self.fetch_snapshot(snapshot_id, deadline=deadline)

    def trigger(self, dataset_id: str, body: object) -> str:
        """POST /trigger; returns the snapshot id."""
        response = call_with_retries(
            lambda: self._send(
                "POST",
                "/trigger",
                params={"dataset_id": dataset_id, "include_errors": "true"},
                json=body,
            ),
            self._retry_policy,
            sleep=self._sleep,
        )
        payload = _json(response)
        snapshot_id = payload.get("snapshot_id") if isinstance(payload, dict) else None
        if not isinstance(snapshot_id, str) or not snapshot_id:
            raise ProviderError(f"brightdata trigger returned no snapshot_id: {_excerpt(response)}")
        return snapshot_id

    def wait_until_ready(self, snapshot_id: str, *, deadline: float) -> None:
        """Poll /progress until `ready`; transient poll errors are polled through."""
        last_status = "unknown"
        while True:
            status: object = None
            try:
                response = self._send("GET", f"/progress/{snapshot_id}")
                payload = response.json()
                status = payload.get("status") if isinstance(payload, dict) else None
                last_status = str(status)
            except ProviderTransientError as error:
                last_status = f"poll error: {error.message}"
            except ValueError:
                # A garbled progress body says nothing about the snapshot; ask again.
                last_status = "malformed progress body"
            if status == "ready":
                return
            if status == "failed":
                raise ProviderTransientError(f"brightdata snapshot {snapshot_id} failed")
            if self._clock() + self._poll_interval_s > deadline:
                raise ProviderTransientError(
                    f"brightdata snapshot {snapshot_id} not ready within "
                    f"{self._poll_deadline_s:g} s (last status: {last_status})",
                    hint="raise providers.brightdata.poll_deadline_s or retry the chunk later",
                )
            self._sleep(self._poll_interval_s)

    def fetch_snapshot(self, snapshot_id: str, *, deadline: float) -> list[Record]:
        """GET /snapshot, waiting while BrightData still builds it (202 or status building)."""
        for attempt in range(1, self._snapshot_max_attempts + 1):
            response = call_with_retries(
                lambda: self._send("GET", f"/snapshot/{snapshot_id}", params={"format": "json"}),
                self._retry_policy,
                sleep=self._sleep,
            )
            payload = None if response.status_code == 202 else _json(response)
            if isinstance(payload, list):
                return [record for record in payload if isinstance(record, dict)]
            building = response.status_code == 202 or (
                isinstance(payload, dict) and payload.get("status") in {"building", "running"}
            )
            if not building:
                raise ProviderError(
                    f"brightdata snapshot {snapshot_id} is not a list: {_excerpt(response)}"
                )
            out_of_time = self._clock() + self._snapshot_retry_interval_s > deadline
            if attempt == self._snapshot_max_attempts or out_of_time:
                break
            self._sleep(self._snapshot_retry_interval_s)
        raise ProviderTransientError(f"brightdata snapshot {snapshot_id} still building")

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self.limiter.slot():
            try:
                response = self._http.request(
                    method,
                    f"{self._base_url}{path}",
                    headers=self._headers,
                    timeout=self._timeout_s,
                    **kwargs,
                )
            except httpx.TimeoutException as error:
                raise ProviderTransientError(f"brightdata {method} {path} timed out") from error
            except httpx.TransportError as error:
                message = f"brightdata {method} {path} failed: {error}"
                raise ProviderTransientError(message) from error
        self.limiter.observe_headers(response.headers)
        status = response.status_code
        if status < 400:
            return response
        detail = f"brightdata {method} {path} answered HTTP {status}: {_excerpt(response)}"
        if status in TRANSIENT_STATUSES or status >= 500:
            wait = retry_after_from_headers(response.headers, now=self._wall_clock())
            raise ProviderTransientError(detail, retry_after=wait)
        raise ProviderError(detail, hint="check providers.brightdata api_key and dataset ids")


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError as error:
        raise ProviderError(f"brightdata sent a malformed body: {_excerpt(response)}") from error


def _excerpt(response: httpx.Response) -> str:
    return repr(response.text[:_EXCERPT])
