"""The executor: runs the states of a machine (or of a branch) one after another.

``Executor.run_machine`` walks a machine from its StartAt (or a given state) until a terminal
state, returning the output or raising ``StateFailed`` that names the failed state and its
input. Task/Parallel/Map states go through Retry and Catch; Parallel branches and Map
iterations (``fanout.py``) call ``run_machine`` again in worker threads.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from senso_cli.sfn import choice, fanout, intrinsics, paths, payload
from senso_cli.sfn.errors import (
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    NO_CHOICE_MATCHED,
    RUNTIME,
    TIMEOUT,
    PathNotFoundError,
    PathSyntaxError,
    StatesError,
)
from senso_cli.sfn.events import Cursor, History, payload_details, to_json
from senso_cli.sfn.payload import ABSENT
from senso_cli.sfn.retry import RetryBudget, first_match
from senso_cli.sfn.scope import Scope, StateFailed
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker, describe_resource, run_task

# Step Functions' payload quota: 256 KiB of UTF-8 JSON for any input, output or task result.
MAX_PAYLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Transition:
    next_state: str | None  # None: the machine ends with ``output``
    output: Any
    caught: bool = False  # a catcher chose next_state: AWS records no StateExited then


def timestamp_text(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as the context object shows times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_size(value: Any, what: str) -> str:
    text = to_json(value)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(DATA_LIMIT_EXCEEDED, f"The {what} exceeds {MAX_PAYLOAD_BYTES} bytes.")
    return text


@dataclass
class Executor:
    invoke_task: TaskInvoker
    history: History
    base_context: dict[str, Any]  # Execution and StateMachine of the context object
    region: str
    time_scale: float
    sleep: Callable[[float], None]
    rng: random.Random
    clock: Callable[[], datetime]

    def run_machine(
        self,
        machine: Mapping[str, Any],
        data: Any,
        scope: Scope,
        cursor: Cursor,
        start_at: str | None = None,
    ) -> Any:
        states = machine["States"]
        name = start_at or machine["StartAt"]
        while True:
            scope.check()
            state = states[name]
            try:
                transition = self._run_state(name, state, data, scope, cursor)
            except StatesError as error:
                raise StateFailed(error, name, data) from None
            if transition.next_state is None:
                return transition.output
            name, data = transition.next_state, transition.output

    def context(self, name: str) -> dict[str, Any]:
        """The context object (``$$``) of a state entered now."""
        return {
            **self.base_context,
            "State": {"EnteredTime": timestamp_text(self.clock()), "Name": name, "RetryCount": 0},
        }

    def wait(self, seconds: float, scope: Scope) -> None:
        """Sleep ``seconds`` of definition time (scaled by ``time_scale``)."""
        if seconds > 0 and self.time_scale > 0:
            self.sleep(seconds * self.time_scale)
        scope.check()

    def _run_state(
        self, name: str, state: Mapping[str, Any], raw: Any, scope: Scope, cursor: Cursor
    ) -> Transition:
        kind = state["Type"]
        self.history.emit(
            cursor,
            f"{kind}StateEntered",
            "stateEnteredEventDetails",
            {"name": name, **payload_details("input", raw)},
        )
        context = self.context(name)
        if kind == "Fail":
            raise self._fail_error(state, raw, context)
        if kind in ("Task", "Parallel", "Map"):
            transition = self._run_with_handlers(name, state, raw, context, scope, cursor)
            if transition.caught:
                return transition
        elif kind == "Choice":
            transition = self._choose(state, raw, context)
        else:
            effective = payload.select_input(raw, state.get("InputPath", ABSENT), context)
            if kind == "Pass":
                if "Parameters" in state:
                    effective = payload.resolve_template(
                        state["Parameters"], effective, context, self.rng
                    )
                result = state.get("Result", effective)
                effective = payload.place_result(raw, result, state.get("ResultPath", ABSENT))
            elif kind == "Wait":
                self.wait(self._wait_seconds(state, effective, context), scope)
            output = payload.select_output(effective, state.get("OutputPath", ABSENT), context)
            transition = Transition(None if kind == "Succeed" else state.get("Next"), output)
        check_size(transition.output, "state output")
        self.history.emit(
            cursor,
            f"{kind}StateExited",
            "stateExitedEventDetails",
            {"name": name, **payload_details("output", transition.output)},
        )
        return transition

    def _fail_error(self, state: Mapping[str, Any], raw: Any, context: Any) -> StatesError:
        error = self._fail_field(state, "Error", raw, context)
        cause = self._fail_field(state, "Cause", raw, context)
        # A Fail state without Error fails with an empty error name, which only States.ALL catches.
        return StatesError(error or "", cause)

    def _fail_field(
        self, state: Mapping[str, Any], field: str, raw: Any, context: Any
    ) -> str | None:
        if f"{field}Path" not in state:
            value = state.get(field)
            return None if value is None else str(value)
        path = state[f"{field}Path"]
        if intrinsics.is_intrinsic(path):
            value = intrinsics.evaluate(path, raw, context, self.rng)
        else:
            try:
                value = paths.get(raw, path, context=context)
            except (PathNotFoundError, PathSyntaxError) as exc:
                raise StatesError(RUNTIME, f"Invalid path {path!r} in {field}Path: {exc}") from None
        if not isinstance(value, str):
            raise StatesError(RUNTIME, f"{field}Path {path!r} must select a string")
        return value

    def _choose(self, state: Mapping[str, Any], raw: Any, context: Any) -> Transition:
        effective = payload.select_input(raw, state.get("InputPath", ABSENT), context)
        output = payload.select_output(effective, state.get("OutputPath", ABSENT), context)
        for rule in state["Choices"]:
            if choice.matches(rule, effective, context):
                return Transition(rule["Next"], output)
        if "Default" in state:
            return Transition(state["Default"], output)
        raise StatesError(
            NO_CHOICE_MATCHED, "No Choice Rules matched and no Default was specified."
        )

    def _wait_seconds(self, state: Mapping[str, Any], effective: Any, context: Any) -> float:
        if "Seconds" in state:
            return float(state["Seconds"])
        if "SecondsPath" in state:
            seconds = payload.select_path(effective, state["SecondsPath"], context, "SecondsPath")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise StatesError(RUNTIME, "SecondsPath must select a non-negative number")
            return float(seconds)
        text = (
            state["Timestamp"]
            if "Timestamp" in state
            else payload.select_path(effective, state["TimestampPath"], context, "TimestampPath")
        )
        moment = choice.parse_timestamp(text)
        if moment is None:
            raise StatesError(RUNTIME, f"{text!r} is not an RFC 3339 timestamp")
        return max(0.0, (moment - self.clock()).total_seconds())

    def _run_with_handlers(
        self,
        name: str,
        state: Mapping[str, Any],
        raw: Any,
        entered: dict[str, Any],
        scope: Scope,
        cursor: Cursor,
    ) -> Transition:
        budget = RetryBudget(state.get("Retry", []), self.rng)
        while True:
            # EnteredTime stays the time the state was entered; only RetryCount moves on.
            context = {**entered, "State": {**entered["State"], "RetryCount": budget.total}}
            try:
                result = self._attempt(name, state, raw, context, scope, cursor)
                if "ResultSelector" in state:
                    result = payload.resolve_template(
                        state["ResultSelector"], result, context, self.rng
                    )
                placed = payload.place_result(raw, result, state.get("ResultPath", ABSENT))
                output = payload.select_output(placed, state.get("OutputPath", ABSENT), context)
                return Transition(None if state.get("End") else state["Next"], output)
            except StatesError as error:
                delay = budget.next_delay(error)
                if delay is not None:
                    self.wait(delay, scope)
                    continue
                catchers = state.get("Catch", [])
                index = first_match(catchers, error)
                if index is None:
                    raise
                catcher = catchers[index]
                output = payload.place_result(
                    raw, error.as_output(), catcher.get("ResultPath", ABSENT)
                )
                return Transition(catcher["Next"], output, caught=True)

    def _attempt(
        self,
        name: str,
        state: Mapping[str, Any],
        raw: Any,
        context: dict[str, Any],
        scope: Scope,
        cursor: Cursor,
    ) -> Any:
        effective = payload.select_input(raw, state.get("InputPath", ABSENT), context)
        if state["Type"] == "Task":
            return self._task(name, state, effective, context, scope, cursor)
        if state["Type"] == "Parallel":
            return fanout.run_parallel(self, name, state, effective, context, scope, cursor)
        return fanout.run_map(self, name, state, effective, context, scope, cursor)

    def _task(
        self,
        name: str,
        state: Mapping[str, Any],
        effective: Any,
        context: dict[str, Any],
        scope: Scope,
        cursor: Cursor,
    ) -> Any:
        resource: str = state["Resource"]
        token = None
        if resource.endswith(".waitForTaskToken"):
            token = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            context = {**context, "Task": {"Token": token}}
        parameters = effective
        if "Parameters" in state:
            parameters = payload.resolve_template(state["Parameters"], effective, context, self.rng)
        check_size(parameters, "task input")
        timeout = _limit(state, "TimeoutSeconds", effective, context)
        heartbeat = _limit(state, "HeartbeatSeconds", effective, context)
        resource_type, resource_name = describe_resource(resource)
        identity = {"resourceType": resource_type, "resource": resource_name}
        scheduled: dict[str, Any] = {
            **identity,
            "region": self.region,
            "parameters": to_json(parameters),
        }
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        if heartbeat is not None:
            scheduled["heartbeatInSeconds"] = heartbeat
        self.history.emit(cursor, "TaskScheduled", "taskScheduledEventDetails", scheduled)
        self.history.emit(cursor, "TaskStarted", "taskStartedEventDetails", identity)
        invocation = TaskInvocation(
            state_name=name,
            resource=resource,
            parameters=parameters,
            task_token=token,
            timeout_seconds=timeout,
            heartbeat_seconds=heartbeat,
            context=context,
        )
        try:
            result = run_task(self.invoke_task, invocation, scope)
            text = _result_text(result)
        except StatesError as error:
            timed_out = error.error in (TIMEOUT, HEARTBEAT_TIMEOUT)
            self.history.emit(
                cursor,
                "TaskTimedOut" if timed_out else "TaskFailed",
                "taskTimedOutEventDetails" if timed_out else "taskFailedEventDetails",
                {**identity, "error": error.error, "cause": error.cause or ""},
            )
            raise
        self.history.emit(
            cursor,
            "TaskSucceeded",
            "taskSucceededEventDetails",
            {**identity, "output": text, "outputDetails": {"truncated": False}},
        )
        return result


def _result_text(result: Any) -> str:
    try:
        return check_size(result, "task result")
    except (TypeError, ValueError):
        raise StatesError(RUNTIME, f"The task result is not JSON: {result!r:.200}") from None


def _limit(state: Mapping[str, Any], field: str, effective: Any, context: Any) -> float | None:
    """TimeoutSeconds/HeartbeatSeconds, or the number their ...Path selects.

    The spec wants positive integers; fractions are accepted here on purpose so tests can use
    limits of a fraction of a second (``validate`` still flags non-positive values).
    """
    if field in state:
        value = state[field]
    elif f"{field}Path" in state:
        value = payload.select_path(effective, state[f"{field}Path"], context, f"{field}Path")
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise StatesError(RUNTIME, f"{field} must be a positive number, got {value!r}")
    return value
