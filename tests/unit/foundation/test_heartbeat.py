"""The background heartbeat beats while the work is busy and stops with it."""

from __future__ import annotations

import threading
import time

from handlers.heartbeat import BackgroundHeartbeat, interval_for


def test_beats_during_a_long_call_and_stops_cleanly() -> None:
    beats: list[float] = []
    with BackgroundHeartbeat(lambda: beats.append(time.monotonic()), 0.05) as heartbeat:
        time.sleep(0.5)  # one long provider call: no chance to beat in between
        assert heartbeat.running
    count = len(beats)
    assert count >= 5
    time.sleep(0.15)
    assert len(beats) == count and not heartbeat.running
    assert not [t for t in threading.enumerate() if t.name == "step-heartbeat"]


def test_a_failing_beat_is_reported_and_the_heartbeat_goes_on() -> None:
    errors: list[Exception] = []

    def beat() -> None:
        raise RuntimeError("TaskTimedOut")

    with BackgroundHeartbeat(beat, 0.02, on_error=errors.append):
        time.sleep(0.15)
    assert len(errors) >= 3


def test_the_interval_is_a_third_of_heartbeat_seconds() -> None:
    assert interval_for(120) == 40
    assert interval_for(None) > 0
