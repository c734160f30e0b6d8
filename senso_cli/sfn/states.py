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

from senso_cli.sfn import causes, fanout, jsonata, payload
from senso_cli.sfn.errors import (
    DATA_LIMIT_EXCEEDED,
    HEARTBEAT_TIMEOUT,
    NO_CHOICE_MATCHED,
    RUNTIME,
    TIMEOUT,
    StatesError,
)
from senso_cli.sfn.events import Cursor, History, payload_details, to_json
from senso_cli.sfn.retry import RetryBudget, first_match
from senso_cli.sfn.scope import Scope, StateFailed
from senso_cli.sfn.stateio import StateEnv, language_of
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker, describe_resource, run_task
from senso_cli.sfn.variables import Variables

_RETRYING = frozenset({"Task", "Parallel", "Map"})

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


def check_size(value: Any, state: str) -> str:
    text = to_json(value)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise StatesError(DATA_LIMIT_EXCEEDED, causes.result_too_large(state))
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
    language: str = "JSONPath"  # the machine's QueryLanguage, which its states inherit

    def run_machine(
        self,
        machine: Mapping[str, Any],
        data: Any,
        scope: Scope,
        cursor: Cursor,
        start_at: str | None = None,
        variables: Variables | None = None,
    ) -> Any:
        states = machine["States"]
        name = start_at or machine["StartAt"]
        variables = Variables() if variables is None else variables
        while True:
            scope.check()
            state = states[name]
            try:
                transition = self._run_state(name, state, data, scope, cursor, variables)
            except StatesError as error:
                raise StateFailed(error, name, data) from None
            if transition.next_state is None:
                return transition.output
            name, data = transition.next_state, transition.output

    def context(self, name: str, kind: str) -> dict[str, Any]:
        """The context object (``$$``) of a state entered now.

        ``State.RetryCount`` exists only where a state can retry (Task, Parallel, Map): the
        service leaves it out of the others' context object.
        """
        state: dict[str, Any] = {"Name": name, "EnteredTime": timestamp_text(self.clock())}
        if kind in _RETRYING:
            state["RetryCount"] = 0
        return {**self.base_context, "State": state}

    def wait(self, seconds: float, scope: Scope) -> None:
        """Sleep ``seconds`` of definition time (scaled by ``time_scale``)."""
        if seconds > 0 and self.time_scale > 0:
            self.sleep(seconds * self.time_scale)
        scope.check()

    def _run_state(
        self,
        name: str,
        state: Mapping[str, Any],
        raw: Any,
        scope: Scope,
        cursor: Cursor,
        variables: Variables,
    ) -> Transition:
        kind = state["Type"]
        entered = self.history.emit(
            cursor,
            f"{kind}StateEntered",
            "stateEnteredEventDetails",
            {"name": name, **payload_details("input", raw)},
        )
        env = StateEnv(
            name,
            state,
            raw,
            self.context(name, kind),
            variables,
            language_of(state, self.language),
            self.rng,
        )
        try:
            transition, assigned = self._transition(env, kind, scope, cursor)
            text = check_size(transition.output, name)
            variables.assign(assigned)
        except StatesError as error:
            raise error.at_state(name, entered) from None
        if transition.caught:
            return transition
        self.history.emit(
            cursor,
            f"{kind}StateExited",
            "stateExitedEventDetails",
            {"name": name, **payload_details("output", transition.output, text)},
        )
        return transition

    def _transition(
        self, env: StateEnv, kind: str, scope: Scope, cursor: Cursor
    ) -> tuple[Transition, dict[str, Any]]:
        state = env.state
        if kind == "Fail":
            # A Fail state without Error fails with an empty error name (only States.ALL
            # catches it).
            raise StatesError(env.fail_field("Error") or "", env.fail_field("Cause"))
        if kind in _RETRYING:
            return self._run_with_handlers(env, scope, cursor)
        if kind == "Choice":
            return self._choose(env)
        effective = env.effective_input()
        if kind == "Pass":
            if env.jsonata:
                output, assigned = env.finish(env.raw, default_input=True)
            else:
                if "Parameters" in state:
                    effective = env.template("Parameters", effective)
                output, assigned = env.finish(state.get("Result", effective))
        else:
            if kind == "Wait":
                self.wait(env.wait_seconds(effective, self.clock()), scope)
            output, assigned = env.passthrough(effective)
        return Transition(None if kind == "Succeed" else state.get("Next"), output), assigned

    def _choose(self, env: StateEnv) -> tuple[Transition, dict[str, Any]]:
        state = env.state
        effective = env.effective_input()
        for rule in state["Choices"]:
            if env.choice_rule(rule, effective):
                output, assigned = env.passthrough(effective, rule)
                return Transition(rule["Next"], output), assigned
        if "Default" in state:
            output, assigned = env.passthrough(effective)
            return Transition(state["Default"], output), assigned
        raise StatesError(NO_CHOICE_MATCHED, causes.no_choice_matched())

    def _run_with_handlers(
        self, env: StateEnv, scope: Scope, cursor: Cursor
    ) -> tuple[Transition, dict[str, Any]]:
        state = env.state
        entered = env.context
        budget = RetryBudget(state.get("Retry", []), self.rng)
        while True:
            # EnteredTime stays the time the state was entered; only RetryCount moves on.
            env.context = {**entered, "State": {**entered["State"], "RetryCount": budget.total}}
            try:
                result = self._attempt(env, scope, cursor)
                output, assigned = env.finish(result)
                return Transition(None if state.get("End") else state["Next"], output), assigned
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
                output, assigned = env.caught(catcher, error)
                return Transition(catcher["Next"], output, caught=True), assigned

    def _attempt(self, env: StateEnv, scope: Scope, cursor: Cursor) -> Any:
        effective = env.effective_input()
        kind = env.state["Type"]
        if kind == "Task":
            return self._task(env, effective, scope, cursor)
        if kind == "Parallel":
            return fanout.run_parallel(self, env, effective, scope, cursor)
        return fanout.run_map(self, env, effective, scope, cursor)

    def _task(self, env: StateEnv, effective: Any, scope: Scope, cursor: Cursor) -> Any:
        state, name = env.state, env.name
        resource: str = state["Resource"]
        token = None
        context = env.context
        if resource.endswith(".waitForTaskToken"):
            token = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            context = {**context, "Task": {"Token": token}}
            env.context = context
        parameters = effective
        field = "Arguments" if env.jsonata else "Parameters"
        if field in state:
            parameters = env.template(field, effective)
        check_size(parameters, name)
        timeout = _limit(env, "TimeoutSeconds", effective)
        heartbeat = _limit(env, "HeartbeatSeconds", effective)
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
            text = _result_text(result, name)
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


def _result_text(result: Any, state: str) -> str:
    try:
        return check_size(result, state)
    except (TypeError, ValueError):
        raise StatesError(RUNTIME, f"The task result is not JSON: {result!r:.200}") from None


def _limit(env: StateEnv, field: str, effective: Any) -> float | None:
    """TimeoutSeconds/HeartbeatSeconds, or the number their ...Path selects.

    The spec wants positive integers; fractions are accepted here on purpose so tests can use
    limits of a fraction of a second (``validate`` still flags non-positive values).
    """
    state = env.state
    if field in state:
        value = state[field]
        if env.jsonata and jsonata.is_expression(value):
            value = env.expression(value, field)
    elif f"{field}Path" in state:
        value = payload.select_path(
            effective, state[f"{field}Path"], env.context, env.variables.view()
        )
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise StatesError(RUNTIME, f"{field} must be a positive number, got {value!r}")
    return value
