"""A local Inngest: the Event API and the REST endpoints senso uses, as Inngest documents them.

* `POST /e/{event_key}`: one event or a list; 401 `{"error", "status"}` for an unknown key,
  400 for a malformed body; `{"ids": [...], "status": 200}` otherwise. An event whose `id`
  was seen in the last 24 hours is stored but triggers no run.
* `GET /v1/events/{id}/runs`, `GET /v1/runs/{id}`: `{"data": ...}`; 401 without the signing
  key as a Bearer token; 404 for unknown ids.
* `POST /v1/cancellations`: cancels running runs of the function that started in the range and
  answers with the cancellation id and job data.

`fail_next(status, body, delay_s)` queues replies sent before normal handling, to inject
5xx, 429 and slow answers.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

DEDUP_WINDOW_S = 24 * 3600


def ulid_like() -> str:
    return secrets.token_hex(13).upper()[:26]


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class FakeRun:
    run_id: str
    event_id: str
    function_id: str
    started_at: datetime
    status: str = "Running"
    output: Any = None
    ended_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "run_started_at": self.started_at.isoformat().replace("+00:00", "Z"),
            "function_id": self.function_id,
            "function_version": 1,
            "environment_id": "e03843e1-d2df-419e-9b7b-678b03f7398f",
            "event_id": self.event_id,
            "status": self.status,
            "ended_at": self.ended_at.isoformat().replace("+00:00", "Z") if self.ended_at else None,
            "output": self.output,
        }


@dataclass
class FakeInngest:
    event_key: str = "evt-key-0123456789"
    signing_key: str = "signkey-test-abcdef0123456789"
    app_id: str = "senso-workflows"
    function_id: str = "process-org-evaluation"
    trigger: str = "org.evaluation.process"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, FakeRun] = field(default_factory=dict)
    cancellations: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _seen_ids: dict[str, float] = field(default_factory=dict)
    _script: deque[tuple[int, Any, float]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # -- test controls ---------------------------------------------------------------------
    def fail_next(self, status: int, body: Any = None, delay_s: float = 0.0) -> None:
        self._script.append((status, body, delay_s))

    def complete(self, run_id: str, output: Any) -> None:
        run = self.runs[run_id]
        run.status, run.output, run.ended_at = "Completed", output, datetime.now(UTC)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- endpoints -------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if method == "POST" and path.startswith("/e/"):
            return self._send(path.removeprefix("/e/"), body)
        if headers.get("authorization") != f"Bearer {self.signing_key}":
            return 401, {"error": "unauthorized: invalid signing key"}
        parts = path.strip("/").split("/")
        if (
            method == "GET"
            and len(parts) == 4
            and parts[:2] == ["v1", "events"]
            and parts[3] == "runs"
        ):
            if parts[2] not in self.events:
                return 404, {"error": "event not found"}
            runs = [r.as_json() for r in self.runs.values() if r.event_id == parts[2]]
            return 200, {"data": runs, "metadata": {"fetched_at": _now_text()}}
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "runs"]:
            run = self.runs.get(parts[2])
            return (200, {"data": run.as_json()}) if run else (404, {"error": "run not found"})
        if method == "POST" and parts == ["v1", "cancellations"]:
            return self._cancel(body)
        return 404, {"error": "not found"}

    def _send(self, key: str, body: bytes) -> tuple[int, Any]:
        if key != self.event_key:
            return 401, {"error": "Event key not found", "status": 401}
        try:
            payload = json.loads(body)
        except ValueError:
            return 400, {"error": "invalid JSON", "status": 400}
        events = payload if isinstance(payload, list) else [payload]
        ids = []
        for event in events:
            if not isinstance(event, dict) or not event.get("name"):
                return 400, {"error": "event name is required", "status": 400}
            internal = ulid_like()
            self.events[internal] = event
            ids.append(internal)
            key_id = event.get("id")
            now = time.time()
            duplicate = (
                key_id is not None and now - self._seen_ids.get(key_id, -1e12) < DEDUP_WINDOW_S
            )
            if key_id is not None and not duplicate:
                self._seen_ids[key_id] = now
            if event["name"] == self.trigger and not duplicate:
                run = FakeRun(ulid_like(), internal, self.function_id, datetime.now(UTC))
                self.runs[run.run_id] = run
        return 200, {"ids": ids, "status": 200}

    def _cancel(self, body: bytes) -> tuple[int, Any]:
        try:
            request = json.loads(body)
            after = _parse_time(request["started_after"])
            before = _parse_time(request["started_before"])
            app_id, function_id = request["app_id"], request["function_id"]
        except (ValueError, KeyError, TypeError):
            return 400, {
                "error": "app_id, function_id, started_after and started_before are required"
            }
        if app_id != self.app_id:
            return 404, {"error": f"app {app_id} not found"}
        for run in self.runs.values():
            if (
                run.function_id == function_id
                and run.status == "Running"
                and after < run.started_at < before
            ):
                run.status, run.ended_at = "Cancelled", datetime.now(UTC)
        answer = {
            "id": ulid_like(),
            "environment_id": "e03843e1-d2df-419e-9b7b-678b03f7398f",
            "function_id": function_id,
            "started_after": request["started_after"],
            "started_before": request["started_before"],
            "if": request.get("if"),
        }
        self.cancellations.append(answer)
        return 200, answer

    # -- server ----------------------------------------------------------------------------
    def __enter__(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with owner._lock:
                    owner.requests.append((self.command, self.path, headers))
                    scripted = owner._script.popleft() if owner._script else None
                    if scripted is None:
                        status, answer = owner.handle(self.command, self.path, headers, body)
                        delay = 0.0
                    else:
                        status, answer, delay = scripted
                if delay:
                    time.sleep(delay)
                payload = json.dumps(answer).encode() if answer is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def _now_text() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
