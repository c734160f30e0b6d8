"""A fake Linkup search API: `POST /v1/search` asked for a `sourcedAnswer`.

It checks the Bearer key and the body (`q`, `depth`, `outputType`), and answers
`{answer, sources: [{name, url, snippet}]}` with inline `[n]` markers when
`includeInlineCitations` is true. Errors use Linkup's body
`{statusCode, error: {code, message, details}}`. `answer` builds the answer text from the
request body (return "" for an empty answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tests.fakes.http_server import LocalServer, Reply, Request

AnswerFn = Callable[[dict[str, Any]], str]

SOURCES = [
    {"name": "Northwind CU", "url": "https://www.northwindcu.com/", "snippet": "Rates..."},
    {"name": "Review site", "url": "https://reviews.example.org/cu", "snippet": "Top picks"},
]


def linkup_error(status: int, code: str, message: str, **headers: str) -> Reply:
    """A reply in Linkup's error shape."""
    body = {"statusCode": status, "error": {"code": code, "message": message, "details": []}}
    return Reply(status, body, dict(headers))


def _default_answer(body: dict[str, Any]) -> str:
    return f"For {str(body['q'])[:60]}: Northwind [1] leads, per reviewers [2]."


class FakeLinkupServer(LocalServer):
    """Linkup stand-in; `base_url` is the `/v1` root the provider posts `/search` under."""

    def __init__(
        self,
        *,
        api_key: str = "lk-test",
        answer: AnswerFn = _default_answer,
        sources: list[dict[str, Any]] | None = None,
        script: Iterable[Reply] = (),
    ) -> None:
        super().__init__(script)
        self.api_key = api_key
        self.answer = answer
        self.sources = SOURCES if sources is None else sources
        self.bodies: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def handle(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/v1/search":
            return linkup_error(404, "NOT_FOUND", f"no route {request.path}")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return linkup_error(401, "UNAUTHORIZED", "API key is missing or invalid")
        body = request.json()
        if body.get("outputType") not in ("sourcedAnswer", "searchResults", "structured"):
            return linkup_error(400, "VALIDATION_ERROR", "outputType must be one of ...")
        if body.get("depth") not in ("standard", "deep") or not body.get("q"):
            return linkup_error(400, "VALIDATION_ERROR", "Validation failed")
        self.bodies.append(body)
        text = self.answer(body)
        if not body.get("includeInlineCitations"):
            text = text.replace("[1]", "").replace("[2]", "")
        return Reply(200, {"answer": text, "sources": self.sources})
