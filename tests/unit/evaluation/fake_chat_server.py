"""A local chat-completions server speaking just enough of OpenAI's protocol for the tests.

POST /v1/chat/completions with a `json_schema` response format is answered from replies
scripted per schema name, so the real `openai.OpenAI` client can talk to it on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai

# A reply: HTTP status, the JSON body (the structured content for 200) and extra headers.
Reply = tuple[int, dict[str, Any], dict[str, str]]


@dataclass
class FakeChatServer:
    """Scripted replies per schema name; every request body is recorded."""

    base_url: str
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    usage: tuple[int, int] = (120, 30)

    def reply(self, schema_name: str, content: dict[str, Any]) -> None:
        self.replies.setdefault(schema_name, []).append((200, content, {}))

    def fail(self, schema_name: str, status: int, headers: dict[str, str] | None = None) -> None:
        error = {"error": {"message": "scripted failure", "type": "test", "code": None}}
        self.replies.setdefault(schema_name, []).append((status, error, headers or {}))

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key="test", max_retries=0)

    def schema_names(self) -> list[str]:
        return [r["response_format"]["json_schema"]["name"] for r in self.requests]

    def answer(self, request: dict[str, Any]) -> Reply:
        name = request["response_format"]["json_schema"]["name"]
        queue = self.replies.get(name) or []
        if not queue:
            return 500, {"error": {"message": f"no reply scripted for {name}"}}, {}
        status, content, headers = queue.pop(0)
        if status != 200:
            return status, content, headers
        prompt, completion = self.usage
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": request["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": json.dumps(content),
                        "refusal": None,
                    },
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        return 200, body, headers


def _handler(server: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length))
            server.requests.append(request)
            reply: Reply = (404, {"error": {"message": "not found"}}, {})
            if self.path.rstrip("/") == "/v1/chat/completions":
                reply = server.answer(request)
            status, body, headers = reply
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_chat_server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer(base_url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    # A short poll interval keeps shutdown (and so each test) fast.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
