"""A fake OpenAI: the Responses API, Azure's v1 Responses endpoint and minimal chat.completions.

It enforces its own RPM/TPM ceilings over a sliding window (60 s unless `window_s` says
otherwise, so benchmarks can compress time) and answers beyond them with 429, `Retry-After`
and `x-ratelimit-*` headers, like the real service. `latency` (a callable of the request, in
seconds) slows answers down; `script` injects replies ahead of normal behaviour. Counters:
`request_count`, `rate_limited`, `bodies` (the JSON bodies of answered POSTs).

    with FakeOpenAIServer(rpm=60, tpm=10_000) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.http_server import LocalServer, Reply, Request

AnswerFn = Callable[[dict[str, Any]], str]


def _default_answer(body: dict[str, Any]) -> str:
    return f"Here is what I found about: {body.get('input')!s:.200}\n\n1. **Northwind** fits well."


def _input_text(body: dict[str, Any]) -> str:
    if "input" in body:
        return str(body["input"])
    return " ".join(str(message.get("content", "")) for message in body.get("messages", []))


class FakeOpenAIServer(LocalServer):
    """OpenAI/Azure stand-in; see the module docstring."""

    def __init__(
        self,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        window_s: float = 60.0,
        latency: Callable[[Request], float] | None = None,
        script: Iterable[Reply] = (),
        api_key: str = "sk-test-key",
        azure_api_key: str = "azure-test-key",
        answer: AnswerFn = _default_answer,
        output_tokens: int = 120,
        web_searches: int = 1,
        response_model: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(script)
        self.rpm, self.tpm, self.window_s = rpm, tpm, window_s
        self.latency = latency
        self.api_key, self.azure_api_key = api_key, azure_api_key
        self.answer, self.output_tokens, self.web_searches = answer, output_tokens, web_searches
        self.response_model = response_model or (lambda model: model)
        self._clock = clock
        self._window: deque[tuple[float, int]] = deque()
        self._counter_lock = threading.Lock()
        self.request_count = 0
        self.rate_limited = 0
        self.auth_failures = 0
        self.bodies: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        """OpenAI base URL for `openai.OpenAI(base_url=...)`."""
        return f"{self.url}/v1"

    @property
    def azure_endpoint(self) -> str:
        """Azure resource endpoint; the client appends `/openai/v1`."""
        return self.url

    def scripted(self, request: Request) -> Reply | None:
        with self._counter_lock:
            self.request_count += 1
        reply = super().scripted(request)
        if reply is not None and reply.status == 429:
            with self._counter_lock:
                self.rate_limited += 1
        return reply

    def handle(self, request: Request) -> Reply:
        azure = request.path.startswith("/openai/v1/")
        route = request.path.removeprefix("/openai/v1").removeprefix("/v1")
        if request.method != "POST" or route not in {"/responses", "/chat/completions"}:
            return Reply(404, {"error": {"message": f"no route {request.path}"}})
        if not self._authorised(request, azure=azure):
            with self._counter_lock:
                self.auth_failures += 1
            return Reply(401, {"error": {"message": "Incorrect API key provided", "code": 401}})
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"error": {"message": "invalid JSON"}})
        input_tokens = max(1, math.ceil(len(_input_text(body)) / 4))
        tokens = input_tokens + self.output_tokens
        limited, headers = self._admit(tokens)
        if limited is not None:
            return limited
        if self.latency is not None:
            time.sleep(self.latency(request))
        with self._counter_lock:
            self.bodies.append(body)
        model = self.response_model(str(body.get("model", "")))
        text = self.answer(body)
        usage = (input_tokens, self.output_tokens)
        if route == "/chat/completions":
            return Reply(200, _chat_body(model, text, usage), headers)
        return Reply(200, _responses_body(model, text, usage, self.web_searches), headers)

    def _authorised(self, request: Request, *, azure: bool) -> bool:
        if azure:
            return request.headers.get("api-key") == self.azure_api_key
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def _admit(self, tokens: int) -> tuple[Reply | None, dict[str, str]]:
        """Charge the window, or a 429 reply when the request would break RPM/TPM."""
        with self._counter_lock:
            now = self._clock()
            while self._window and self._window[0][0] <= now - self.window_s:
                self._window.popleft()
            used_requests = len(self._window)
            used_tokens = sum(spent for _, spent in self._window)
            over_rpm = self.rpm is not None and used_requests + 1 > self.rpm
            over_tpm = self.tpm is not None and used_tokens + tokens > self.tpm
            if over_rpm or over_tpm:
                self.rate_limited += 1
                wait = self._window[0][0] + self.window_s - now if self._window else 0.0
                headers = self._limit_headers(used_requests, used_tokens, wait)
                headers["Retry-After"] = str(max(1, math.ceil(wait)))
                headers["retry-after-ms"] = str(max(1, math.ceil(wait * 1000)))
                message = "Rate limit reached for requests" if over_rpm else "tokens per min"
                return Reply(429, {"error": {"message": message}}, headers), {}
            self._window.append((now, tokens))
            reset = self._window[0][0] + self.window_s - now
            return None, self._limit_headers(used_requests + 1, used_tokens + tokens, reset)

    def _limit_headers(self, requests: int, tokens: int, reset_s: float) -> dict[str, str]:
        headers: dict[str, str] = {}
        reset = f"{max(0, math.ceil(reset_s * 1000))}ms"
        if self.rpm is not None:
            headers["x-ratelimit-limit-requests"] = str(self.rpm)
            headers["x-ratelimit-remaining-requests"] = str(max(0, self.rpm - requests))
            headers["x-ratelimit-reset-requests"] = reset
        if self.tpm is not None:
            headers["x-ratelimit-limit-tokens"] = str(self.tpm)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, self.tpm - tokens))
            headers["x-ratelimit-reset-tokens"] = reset
        return headers


def _responses_body(
    model: str, text: str, usage: tuple[int, int], web_searches: int
) -> dict[str, Any]:
    searches = [
        {"id": f"ws_{n}", "type": "web_search_call", "status": "completed"}
        for n in range(web_searches)
    ]
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return {
        "id": "resp_fake",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": model,
        "output": [*searches, message],
        "usage": {
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }


def _chat_body(model: str, text: str, usage: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl_fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        },
    }
