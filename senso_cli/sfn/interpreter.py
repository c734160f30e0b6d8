"""The public face of the interpreter: run a state machine definition to completion.

    interpreter = Interpreter(definition, invoke_task=my_invoker, time_scale=0)
    result = interpreter.run({"org": "acme"}, execution_arn=..., execution_name=...,
                             state_machine_arn=..., state_machine_name=...)
    result.status, result.output, result.error, result.cause

The machine runs on a worker thread while ``run`` waits, so the machine's own ``TimeoutSeconds``
(real time, like the task limits, not scaled by ``time_scale``) and ``abort()`` from another
thread end the run promptly even if a task or a Wait is still busy; the work left behind is
cancelled and its later history events are dropped.

One interpreter runs one execution at a time; build one per concurrent execution.
"""

from __future__ import annotations

import random as random_module
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from senso_cli.sfn import causes, validate
from senso_cli.sfn.errors import TIMEOUT
from senso_cli.sfn.events import Cursor, History, HistoryEvent, payload_details
from senso_cli.sfn.scope import Cancelled, Scope, StateFailed
from senso_cli.sfn.states import Executor, timestamp_text
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker

__all__ = ["ExecutionResult", "HistoryEvent", "Interpreter", "TaskInvocation", "TaskInvoker"]

Status = Literal["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


@dataclass(frozen=True)
class ExecutionResult:
    status: Status
    output: Any  # the execution's output when SUCCEEDED, else None
    error: str | None
    cause: str | None
    failed_state: str | None  # the top-level state an uncaught error left the machine from
    failed_state_input: Any  # that state's raw input: run(start_at=...) again with it to redrive


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Interpreter:
    def __init__(
        self,
        definition: dict[str, Any] | str,
        *,
        invoke_task: TaskInvoker,
        time_scale: float = 1.0,
        on_event: Callable[[HistoryEvent], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: random_module.Random | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """Validate ``definition`` (raises ``DefinitionError``) and prepare to run it.

        ``time_scale`` multiplies every Wait and retry interval (0: never sleep); ``sleep``,
        ``random`` and ``clock`` are injectable so tests are fast and deterministic.
        """
        self.definition = validate.check(definition)
        self._invoke_task = invoke_task
        self._time_scale = time_scale
        self._on_event = on_event
        self._sleep = sleep
        self._random = random if random is not None else random_module.Random()  # noqa: S311
        self._clock = clock
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None
        self._abort_requested = False

    def abort(self) -> None:
        """Stop the running execution (it ends ABORTED); before ``run``, abort the next one."""
        with self._lock:
            self._abort_requested = True
            if self._stop is not None:
                self._stop.set()

    def run(
        self,
        input: Any,
        *,
        execution_arn: str,
        execution_name: str,
        state_machine_arn: str,
        state_machine_name: str,
        start_at: str | None = None,
        redrive_count: int = 0,
        role_arn: str | None = None,
        execution_input: Any = None,
    ) -> ExecutionResult:
        """Run the machine on ``input``; ``start_at`` begins at that state (with ``input`` as its
        input) to redrive a failed execution, recording ExecutionRedriven instead of Started.
        ``execution_input`` is what ``$$.Execution.Input`` shows: a redrive keeps the original
        execution's input there (default: ``input``)."""
        if start_at is not None and start_at not in self.definition["States"]:
            raise ValueError(f"start_at {start_at!r} is not a top-level state of the machine")
        history = History(self._on_event, self._clock)
        cursor = Cursor()
        started = self._clock()
        executor = Executor(
            invoke_task=self._invoke_task,
            history=history,
            base_context={
                # In the service's order, which States.Format and JsonToString show.
                "Execution": {
                    "Id": execution_arn,
                    "Input": input if execution_input is None else execution_input,
                    "StartTime": timestamp_text(started),
                    "Name": execution_name,
                    "RoleArn": role_arn,
                    "RedriveCount": redrive_count,
                },
                "StateMachine": {"Id": state_machine_arn, "Name": state_machine_name},
            },
            region=_region(execution_arn),
            time_scale=self._time_scale,
            sleep=self._sleep,
            rng=self._random,
            clock=self._clock,
            language=self.definition.get("QueryLanguage", "JSONPath"),
        )
        if redrive_count > 0:
            redriven = {"redriveCount": redrive_count}
            history.emit(cursor, "ExecutionRedriven", "executionRedrivenEventDetails", redriven)
        else:
            details = {**payload_details("input", input), "roleArn": role_arn}
            history.emit(cursor, "ExecutionStarted", "executionStartedEventDetails", details)

        scope = Scope()
        stop = threading.Event()
        outcome: list[tuple[str, Any]] = []

        def body() -> None:
            try:
                output = executor.run_machine(self.definition, input, scope, cursor, start_at)
                outcome.append(("succeeded", output))
            except StateFailed as failed:
                outcome.append(("failed", failed))
            except Cancelled:
                outcome.append(("cancelled", None))
            except BaseException as exc:  # noqa: BLE001 -- a bug: re-raised in the caller's thread
                outcome.append(("crashed", exc))
            finally:
                stop.set()

        with self._lock:
            self._stop = stop
            if self._abort_requested:
                stop.set()
        worker = threading.Thread(target=body, name=f"sfn-{execution_name}", daemon=True)
        worker.start()
        try:
            stop.wait(self.definition.get("TimeoutSeconds"))
        finally:
            with self._lock:
                self._stop = None
                aborted, self._abort_requested = self._abort_requested, False
        return self._finish(outcome, aborted, scope, history, cursor)

    def _finish(
        self,
        outcome: list[tuple[str, Any]],
        aborted: bool,
        scope: Scope,
        history: History,
        cursor: Cursor,
    ) -> ExecutionResult:
        kind, value = outcome[0] if outcome else ("", None)
        if isinstance(value, BaseException) and not isinstance(value, StateFailed):
            raise value
        if kind == "succeeded":
            details = payload_details("output", value)
            history.close(cursor, "ExecutionSucceeded", "executionSucceededEventDetails", details)
            return ExecutionResult("SUCCEEDED", value, None, None, None, None)
        if isinstance(value, StateFailed):
            error = value.error
            failure = {"error": error.error, "cause": error.cause or ""}
            history.close(cursor, "ExecutionFailed", "executionFailedEventDetails", failure)
            return ExecutionResult(
                "FAILED",
                None,
                error.error or None,
                error.cause,
                value.state_name,
                value.state_input,
            )
        scope.cancel()  # whatever is still running is abandoned
        if aborted:
            history.close(cursor, "ExecutionAborted", "executionAbortedEventDetails", {})
            return ExecutionResult("ABORTED", None, None, None, None, None)
        cause = causes.execution_timed_out()
        timed_out = {"error": TIMEOUT, "cause": cause}
        history.close(cursor, "ExecutionTimedOut", "executionTimedOutEventDetails", timed_out)
        return ExecutionResult("TIMED_OUT", None, TIMEOUT, cause, None, None)


def _region(execution_arn: str) -> str:
    parts = execution_arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"
