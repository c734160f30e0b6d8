"""A fake BrightData datasets v3: trigger, progress and snapshot, scriptable per endpoint.

Normal behaviour: a trigger stores its inputs under a new snapshot id; progress answers
`running` until it has been polled `ready_after_polls` times; the snapshot answers "building"
(`building_fetches` times, alternating 202 and `{"status": "building"}`) and then one record per
input, built by `records` (default: an answer carrying the input's index, prompt and a `[1]`
citation). Tests transform the records to reorder them, drop indexes or turn them into errors.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http_server import LocalServer, Reply, Request

RecordsFn = Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]]
PREFIX = "/datasets/v3"


def default_records(dataset_id: str, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "index": item.get("index"),
            "prompt": item.get("prompt"),
            "url": item.get("url"),
            "answer_text_markdown": f"Answer {item.get('index')} from {dataset_id}. Source [1].",
            "links_attached": [{"position": 1, "url": f"https://example.org/{item.get('index')}"}],
            "input": item,
        }
        for item in inputs
    ]


@dataclass
class Snapshot:
    dataset_id: str
    inputs: list[dict[str, Any]]
    polls: int = 0
    fetches: int = 0


@dataclass
class _Scripts:
    trigger: deque[Reply] = field(default_factory=deque)
    progress: deque[Reply] = field(default_factory=deque)
    snapshot: deque[Reply] = field(default_factory=deque)


class FakeBrightDataServer(LocalServer):
    """BrightData stand-in; see the module docstring. `base_url` is the datasets v3 root."""

    def __init__(
        self,
        *,
        api_key: str = "bd-test-key",
        ready_after_polls: int = 1,
        building_fetches: int = 0,
        progress_status: str | None = None,
        records: RecordsFn = default_records,
        script: Mapping[str, Iterable[Reply]] | None = None,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.ready_after_polls = ready_after_polls
        self.building_fetches = building_fetches
        self.progress_status = progress_status
        self.records = records
        self._scripts = _Scripts(**{k: deque(v) for k, v in (script or {}).items()})
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()
        self.snapshots: dict[str, Snapshot] = {}
        self.triggers: list[tuple[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"{self.url}{PREFIX}"

    def push_for(self, endpoint: str, *replies: Reply) -> None:
        """Queue replies for one endpoint: "trigger", "progress" or "snapshot"."""
        with self._state_lock:
            getattr(self._scripts, endpoint).extend(replies)

    def scripted(self, request: Request) -> Reply | None:
        endpoint = request.path.removeprefix(PREFIX).strip("/").split("/")[0]
        with self._state_lock:
            queue: deque[Reply] | None = getattr(self._scripts, endpoint, None)
            return queue.popleft() if queue else None

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": "Unauthorized"})
        parts = request.path.removeprefix(PREFIX).strip("/").split("/")
        if parts == ["trigger"] and request.method == "POST":
            return self._trigger(request)
        if len(parts) == 2 and parts[0] in {"progress", "snapshot"}:
            with self._state_lock:
                snapshot = self.snapshots.get(parts[1])
            if snapshot is None:
                return Reply(404, {"error": "snapshot not found"})
            if parts[0] == "progress":
                return self._progress(parts[1], snapshot)
            return self._snapshot(snapshot)
        return Reply(404, {"error": f"no route {request.path}"})

    def _trigger(self, request: Request) -> Reply:
        dataset_id = request.query.get("dataset_id", "")
        body = request.json()
        inputs = body["input"] if isinstance(body, dict) else body
        snapshot_id = f"s_{next(self._ids)}"
        with self._state_lock:
            self.triggers.append((dataset_id, body))
            self.snapshots[snapshot_id] = Snapshot(dataset_id, list(inputs))
        return Reply(200, {"snapshot_id": snapshot_id})

    def _progress(self, snapshot_id: str, snapshot: Snapshot) -> Reply:
        with self._state_lock:
            snapshot.polls += 1
            polls = snapshot.polls
        status = self.progress_status or ("ready" if polls >= self.ready_after_polls else "running")
        return Reply(200, {"snapshot_id": snapshot_id, "status": status})

    def _snapshot(self, snapshot: Snapshot) -> Reply:
        with self._state_lock:
            snapshot.fetches += 1
            fetches = snapshot.fetches
        if fetches <= self.building_fetches:
            if fetches % 2:
                return Reply(202, {"status": "building", "message": "Snapshot is building"})
            return Reply(200, {"status": "building"})
        return Reply(200, self.records(snapshot.dataset_id, snapshot.inputs))
