"""An org runtime that counts how many of its executions run at once (dispatcher tests)."""

from __future__ import annotations

import threading
import time
from typing import Any

from senso_cli.local.runtime import LocalRuntime
from senso_cli.sfn.interpreter import ExecutionResult


class CountingRuntime(LocalRuntime):
    """The org runtime, counting how many of its executions run at the same moment.

    With `evaluation_s`, an execution is recorded RUNNING, holds for that long and is recorded
    SUCCEEDED without interpreting a document: 500 interpreted children cost minutes of
    history writes on a loaded machine, and what is measured here is the dispatcher's bound.
    """

    def __init__(
        self,
        *args: Any,
        evaluation_s: float | None = None,
        gate: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Condition()
        self._evaluation_s = evaluation_s
        # The first `gate` executions hold until that many run at once: proof that the
        # dispatcher lets the configured number run together, however slow the machine.
        self._gate = gate
        self.running = 0
        self.most_running = 0
        self.finished: list[str] = []

    def run(self, arn: str) -> ExecutionResult:
        with self._lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self._lock.notify_all()
            self._lock.wait_for(lambda: self.most_running >= self._gate, timeout=120)
        try:
            if self._evaluation_s is None:
                return super().run(arn)
            time.sleep(self._evaluation_s)
            self.store.finish(arn, "SUCCEEDED", {"ok": True}, None, None)
            return ExecutionResult("SUCCEEDED", {"ok": True}, None, None, None, None)
        finally:
            with self._lock:
                self.running -= 1
                self.finished.append(arn)
