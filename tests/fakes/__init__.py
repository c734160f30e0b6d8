"""In-process stand-ins for the outside world: local HTTP servers and a fake clock.

`FakeOpenAIServer` speaks OpenAI's Responses API (and Azure's `/openai/v1/responses`) plus a
minimal chat.completions; `FakeBrightDataServer` speaks BrightData's datasets v3;
`FakeAnthropicServer` the Messages API with the web search tool; `FakeLinkupServer` Linkup's
`/v1/search`. All run on 127.0.0.1 on a free port in a background thread, are used as context
managers, can be scripted with `Reply` objects (429 with Retry-After, 5xx, delays, malformed
bodies, 401) and count what they saw. `FakeClock` is a clock whose `sleep` records the wait and
moves time on instantly.
"""

from __future__ import annotations

from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.fakes.brightdata_server import FakeBrightDataServer
from tests.fakes.clock import FakeClock
from tests.fakes.http_server import LocalServer, Reply, Request
from tests.fakes.linkup_server import FakeLinkupServer
from tests.fakes.openai_server import FakeOpenAIServer

__all__ = [
    "FakeAnthropicServer",
    "FakeBrightDataServer",
    "FakeClock",
    "FakeLinkupServer",
    "FakeOpenAIServer",
    "LocalServer",
    "Reply",
    "Request",
]
