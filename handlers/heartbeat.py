"""A heartbeat that runs beside a step from its start to its end.

Step Functions fails a Task with States.HeartbeatTimeout when no SendTaskHeartbeat arrives for
HeartbeatSeconds. A provider call or a BrightData snapshot poll can take far longer than that, so
the heartbeat cannot wait for the work between calls: it is a daemon thread that beats every
third of HeartbeatSeconds whatever the step is doing, and stops (and is joined) when the step
ends, successfully or not. A failed beat is logged and the thread goes on: the step's own
outcome decides what the state machine sees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

DEFAULT_INTERVAL_S = 30.0
"""Beat interval when the Task declares no HeartbeatSeconds (a beat is harmless then)."""


def interval_for(heartbeat_seconds: float | None) -> float:
    """A third of HeartbeatSeconds, so two beats may be lost before the state gives up."""
    if heartbeat_seconds is None or heartbeat_seconds <= 0:
        return DEFAULT_INTERVAL_S
    return heartbeat_seconds / 3


class BackgroundHeartbeat:
    """`with BackgroundHeartbeat(beat, interval): run()` beats every `interval` seconds."""

    def __init__(
        self,
        beat: Callable[[], None],
        interval: float,
        *,
        on_error: Callable[[Exception], None] = lambda exc: None,
    ) -> None:
        self._beat = beat
        self._interval = interval
        self._on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="step-heartbeat", daemon=True)
        self.beats = 0

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
                self.beats += 1
            except Exception as exc:  # noqa: BLE001 - a lost beat must not kill the thread
                self._on_error(exc)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=max(1.0, self._interval))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> BackgroundHeartbeat:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
