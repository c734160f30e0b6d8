"""A scriptable local HTTP server: the shared plumbing of the fake provider servers.

A subclass implements `handle(request) -> Reply`. Before that, the next scripted `Reply` (if
any) for the request's route is sent instead, which is how tests inject 429s, 5xx, delays,
malformed bodies and auth failures at exact points of a conversation.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    """One HTTP response. `body` may be JSON-able data, or str/bytes sent verbatim."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class LocalServer:
    """ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread, as a context manager."""

    def __init__(self, script: Iterable[Reply] = ()) -> None:
        self._script: deque[Reply] = deque(script)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[Request] = []

    # -- to implement ------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def scripted(self, request: Request) -> Reply | None:
        """The next scripted reply for this request, if any (default: one queue for all)."""
        with self._lock:
            return self._script.popleft() if self._script else None

    # -- public --------------------------------------------------------------------------------
    def push(self, *replies: Reply) -> None:
        """Queue replies to send before normal behaviour resumes."""
        with self._lock:
            self._script.extend(replies)

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one buffered write with Nagle off; otherwise delayed
            # ACKs add ~40 ms to every keep-alive request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=split.path,
                    query=dict(parse_qsl(split.query)),
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with owner._lock:
                    owner.requests.append(request)
                reply = owner.scripted(request) or owner.handle(request)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                payload = reply.encoded()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to tell it

            def do_GET(self) -> None:  # the name http.server dispatches on
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                return  # dropped connections after client timeouts are expected here

        self._server = Server(("127.0.0.1", 0), Handler)
        # A short poll interval keeps shutdown (hence every test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
