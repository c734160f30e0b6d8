"""A fake monotonic/wall clock: `sleep` records how long it was asked to wait, then jumps."""

from __future__ import annotations

import threading


class FakeClock:
    """Time that only moves when someone sleeps (or `advance` is called)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    @property
    def slept(self) -> float:
        return sum(self.sleeps)
