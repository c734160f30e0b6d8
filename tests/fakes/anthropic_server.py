"""A fake Anthropic Messages API (`POST /v1/messages`), as the official SDK talks to it.

It checks the key (`Authorization: Bearer` or `x-api-key`) and `anthropic-version`, answers in
the Messages shape (content blocks, `stop_reason`, `usage` with
`server_tool_use.web_search_requests`) and, when the request carries the `web_search_20250305`
tool, runs one "search": a `server_tool_use` block, a `web_search_tool_result` block and a text
block whose `citations` point at the results. Models in `no_search_models` refuse the tool with
a 400 `invalid_request_error`, as Anthropic does for models without it. `pause_turns` makes the
first answers stop with `pause_turn`. Errors use Anthropic's body `{"type": "error", "error":
{"type", "message"}}`; `rpm` enforces a request budget with `anthropic-ratelimit-*` headers and
`retry-after`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http_server import LocalServer, Reply, Request

AnswerFn = Callable[[dict[str, Any]], str]


def anthropic_error(status: int, kind: str, message: str, **headers: str) -> Reply:
    """A reply in Anthropic's error shape."""
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}
    return Reply(status, body, dict(headers))


def _default_answer(body: dict[str, Any]) -> str:
    question = str(body["messages"][0]["content"])
    return f"Claude on: {question:.120}\n\n1. **Northwind** is a strong choice."


class FakeAnthropicServer(LocalServer):
    """Anthropic stand-in; see the module docstring. `base_url` is what the SDK takes."""

    def __init__(
        self,
        *,
        api_key: str = "sk-ant-test",
        answer: AnswerFn = _default_answer,
        output_tokens: int = 90,
        no_search_models: Iterable[str] = (),
        pause_turns: int = 0,
        rpm: int | None = None,
        window_s: float = 60.0,
        script: Iterable[Reply] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(script)
        self.api_key = api_key
        self.answer = answer
        self.output_tokens = output_tokens
        self.no_search_models = set(no_search_models)
        self.pause_turns = pause_turns
        self.rpm, self.window_s = rpm, window_s
        self._clock = clock
        self._window: deque[float] = deque()
        self._state = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self.rate_limited = 0

    @property
    def base_url(self) -> str:
        return self.url

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/v1/messages":
            return anthropic_error(404, "not_found_error", f"no route {request.path}")
        # The 2.x SDK authenticates with `Authorization: Bearer`; older clients send `x-api-key`.
        keys = {request.headers.get("x-api-key"), request.headers.get("authorization")}
        if not keys & {self.api_key, f"Bearer {self.api_key}"}:
            return anthropic_error(401, "authentication_error", "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return anthropic_error(400, "invalid_request_error", "anthropic-version missing")
        body = request.json()
        model = str(body.get("model", ""))
        tools = body.get("tools") or []
        searching = any(tool.get("type") == "web_search_20250305" for tool in tools)
        if searching and model in self.no_search_models:
            message = f"tools.0: 'web_search_20250305' is not supported on model {model}"
            return anthropic_error(400, "invalid_request_error", message)
        limited = self._admit()
        if limited is not None:
            return limited
        with self._state:
            self.bodies.append(body)
            pausing = self.pause_turns > 0
            self.pause_turns -= 1 if pausing else 0
        input_tokens = max(1, math.ceil(len(str(body["messages"])) / 4))
        return Reply(200, self._message(body, model, searching, pausing, input_tokens))

    def _message(
        self, body: dict[str, Any], model: str, searching: bool, pausing: bool, input_tokens: int
    ) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        text: dict[str, Any] = {"type": "text", "text": self.answer(body)}
        if searching:
            content.append(
                {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {"query": "best credit unions"},
                }
            )
            content.append(
                {
                    "type": "web_search_tool_result",
                    "tool_use_id": "srvtoolu_1",
                    "content": [
                        {
                            "type": "web_search_result",
                            "url": "https://www.northwindcu.com/rates",
                            "title": "Northwind rates",
                            "encrypted_content": "EqgfCioIARgBIiQ3",
                            "page_age": "2026-11-01",
                        }
                    ],
                }
            )
            text["citations"] = [
                {
                    "type": "web_search_result_location",
                    "url": "https://www.northwindcu.com/rates",
                    "title": "Northwind rates",
                    "cited_text": "Northwind offers first-time buyer loans.",
                    "encrypted_index": "Eo8BCioIAhgBIiQy",
                }
            ]
        if not pausing:
            content.append(text)
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "pause_turn" if pausing else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": self.output_tokens,
                "server_tool_use": {
                    "web_search_requests": 1 if searching else 0,
                    "web_fetch_requests": 0,
                },
            },
        }

    def _admit(self) -> Reply | None:
        if self.rpm is None:
            return None
        with self._state:
            now = self._clock()
            while self._window and self._window[0] <= now - self.window_s:
                self._window.popleft()
            reset_s = self._window[0] + self.window_s - now if self._window else self.window_s
            reset = datetime.fromtimestamp(time.time() + reset_s, tz=UTC).isoformat()
            if len(self._window) >= self.rpm:
                self.rate_limited += 1
                return anthropic_error(
                    429,
                    "rate_limit_error",
                    "Number of requests has exceeded your per-minute rate limit",
                    **{
                        "retry-after": str(max(1, math.ceil(reset_s))),
                        "anthropic-ratelimit-requests-limit": str(self.rpm),
                        "anthropic-ratelimit-requests-remaining": "0",
                        "anthropic-ratelimit-requests-reset": reset,
                    },
                )
            self._window.append(now)
            return None
