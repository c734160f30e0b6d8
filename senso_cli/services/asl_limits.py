"""Two limits of the org-evaluation state machine that AWS enforces only at run time.

- ECS RunTask rejects `overrides` over 8,192 characters of JSON. Every ECS Task's container
  overrides are rendered with the worst case of each value the ASL passes (a 2,048-character
  task token, the longest execution ARN, the largest execution input senso accepts, the longest
  error name SendTaskFailure allows). A value whose size cannot be bounded (the whole state,
  an error's cause) is a failure by itself. A Task with HeartbeatSeconds must also tell its
  container the same number in SENSO_HEARTBEAT_SECONDS (it beats every third of it).
- The execution's TimeoutSeconds must be longer than the worst case of its states: along the
  longest path, each Task's TimeoutSeconds times its attempts plus the retry intervals (capped
  by MaxDelaySeconds), and each Wait's Seconds. Attempts that fail to launch (RunTask's own
  errors, `ECS.*` / `AmazonECS.*`) cost their wait but no task time. Otherwise the execution
  ends TIMED_OUT while a retry would still have finished, and no Catch runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin
from uuid import UUID

from handlers.envvars import HEARTBEAT_SECONDS
from handlers.steps.base import WorkflowInput

MAX_OVERRIDES_CHARS = 8192  # ECS RunTask: "Container Overrides length must be at most 8192"
MAX_TASK_TOKEN = 2048  # Step Functions API: taskToken length 1-2048
MAX_ERROR_NAME = 256  # SendTaskFailure: error length 0-256
MAX_EXECUTION_ARN = 256  # execution ARN: account, region, 80-char machine and execution names
MAX_CONTAINER_NAME = 255  # ECS container definition name
UUID_TEXT = 36


def _worst_field(annotation: Any, max_length: int | None) -> Any:
    """The largest JSON value a field of the execution input may hold (ValueError: unbounded)."""
    options = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    if options:
        values = [_worst_field(o, max_length) for o in options if o is not type(None)]
        return max(values, key=lambda v: len(json.dumps(v)))
    if get_origin(annotation) is Literal:
        return max((str(v) for v in get_args(annotation)), key=len)
    if annotation is bool:
        return False
    if annotation is UUID:
        return "0" * UUID_TEXT
    if annotation is date:
        return "2026-12-31"
    if annotation is str and max_length is not None:
        return '"' * max_length  # JSON escapes each quote: the worst free text is all quotes
    raise ValueError(f"{annotation} has no maximum length")


def worst_execution_input() -> str:
    """The largest execution input senso accepts (`WorkflowInput`), as JSON."""
    worst: dict[str, Any] = {}
    for name, info in WorkflowInput.model_fields.items():
        length = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
        try:
            worst[name] = _worst_field(info.annotation, length)
        except ValueError as exc:
            raise ValueError(f"execution input field {name!r}: {exc}") from exc
    return json.dumps(worst)


def _worst_value(expression: str) -> str | None:
    if expression == "States.JsonToString($$.Execution.Input)":
        try:
            return worst_execution_input()
        except ValueError:
            return None
    known = {
        "$$.Task.Token": "t" * MAX_TASK_TOKEN,
        "$$.Execution.Id": "a" * MAX_EXECUTION_ARN,
        "$.batch.batch_id": "0" * UUID_TEXT,
        "$.error.Error": '"' * MAX_ERROR_NAME,
    }
    return known.get(expression)


def _render(value: Any, problems: list[str], where: str) -> Any:
    """The overrides with every `.$` value replaced by its worst case."""
    if isinstance(value, list):
        return [_render(item, problems, where) for item in value]
    if not isinstance(value, Mapping):
        if value == "${container_name}":
            return "c" * MAX_CONTAINER_NAME
        return value
    rendered: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(key, str) and key.endswith(".$"):
            worst = _worst_value(str(item))
            if worst is None:
                problems.append(
                    f"{where}: {key} {item!r} has no bound on its size; pass ids the step "
                    "reads from PostgreSQL instead"
                )
                worst = ""
            rendered[key[:-2]] = worst
        else:
            rendered[key] = _render(item, problems, where)
    return rendered


def _heartbeat_problems(name: str, state: Mapping[str, Any], overrides: Any) -> list[str]:
    """The container beats every third of SENSO_HEARTBEAT_SECONDS: it must be HeartbeatSeconds."""
    heartbeat = state.get("HeartbeatSeconds")
    if not isinstance(heartbeat, int | float):
        return []
    containers = overrides.get("ContainerOverrides", []) if isinstance(overrides, Mapping) else []
    values = [
        env.get("Value")
        for container in containers
        if isinstance(container, Mapping)
        for env in container.get("Environment", [])
        if isinstance(env, Mapping) and env.get("Name") == HEARTBEAT_SECONDS
    ]
    if values != [str(heartbeat)]:
        return [
            f"Task {name!r}: HeartbeatSeconds {heartbeat} but {HEARTBEAT_SECONDS} is "
            f"{values[0] if values else 'not set'}: the container would beat at the wrong pace"
        ]
    return []


def overrides_problems(definition: Mapping[str, Any]) -> tuple[list[str], int]:
    """Problems with the ECS Tasks' overrides, and the largest worst case in characters."""
    problems: list[str] = []
    largest = 0
    for name, state in definition.get("States", {}).items():
        if not isinstance(state, Mapping) or "ecs:runTask" not in str(state.get("Resource")):
            continue
        overrides = (state.get("Parameters") or {}).get("Overrides")
        if overrides is None:
            continue
        problems += _heartbeat_problems(name, state, overrides)
        rendered = _render(overrides, problems, f"Task {name!r}")
        size = len(json.dumps(rendered, separators=(",", ":")))
        largest = max(largest, size)
        if size > MAX_OVERRIDES_CHARS:
            problems.append(
                f"Task {name!r}: overrides may reach {size} characters "
                f"(ECS allows {MAX_OVERRIDES_CHARS})"
            )
    return problems, largest


LAUNCH_ERROR_PREFIXES = ("ECS.", "AmazonECS.")
"""Errors RunTask raises when the task cannot start: an attempt that ends with one costs no task
time, only the retry's wait (the call fails at once; the timeout never runs)."""


def _is_launch_retrier(errors: list[Any]) -> bool:
    return bool(errors) and all(
        isinstance(e, str) and e.startswith(LAUNCH_ERROR_PREFIXES) for e in errors
    )


def _retry_seconds(retriers: list[Any]) -> tuple[int, float]:
    """(extra attempts that may run to the timeout, total wait) if every retrier is used up."""
    attempts, waits = 0, 0.0
    for retrier in retriers:
        if not isinstance(retrier, Mapping):
            continue
        count = int(retrier.get("MaxAttempts", 3))
        interval = float(retrier.get("IntervalSeconds", 1))
        rate = float(retrier.get("BackoffRate", 2.0))
        cap = retrier.get("MaxDelaySeconds")
        errors = retrier.get("ErrorEquals")
        if not _is_launch_retrier(errors if isinstance(errors, list) else []):
            attempts += count
        for k in range(count):
            delay = interval * rate**k
            waits += min(delay, float(cap)) if cap is not None else delay
    return attempts, waits


def state_worst_seconds(state: Mapping[str, Any]) -> float | None:
    """The longest a state can take, or None when it cannot be bounded."""
    kind = state.get("Type")
    if kind == "Wait":
        seconds = state.get("Seconds")
        return float(seconds) if isinstance(seconds, int | float) else None
    if kind != "Task":
        return 0.0 if kind in ("Pass", "Choice", "Succeed", "Fail") else None
    timeout = state.get("TimeoutSeconds")
    if not isinstance(timeout, int | float):
        return None
    retries = state.get("Retry")
    extra, waits = _retry_seconds(retries if isinstance(retries, list) else [])
    return float(timeout) * (1 + extra) + waits


def _next_states(state: Mapping[str, Any]) -> list[str]:
    targets = [state["Next"]] if isinstance(state.get("Next"), str) else []
    targets += [c["Next"] for c in state.get("Choices", []) if isinstance(c, Mapping)]
    targets += [c["Next"] for c in state.get("Catch", []) if isinstance(c, Mapping)]
    if isinstance(state.get("Default"), str):
        targets.append(state["Default"])
    return [t for t in targets if isinstance(t, str)]


def worst_case_seconds(definition: Mapping[str, Any]) -> tuple[float | None, str]:
    """The longest path's duration from StartAt, or (None, why) when it is unbounded."""
    states: Mapping[str, Any] = definition.get("States", {})
    memo: dict[str, float] = {}
    visiting: set[str] = set()

    def longest(name: str) -> float:
        if name in memo:
            return memo[name]
        if name in visiting:
            raise ValueError(f"a loop through {name!r}")
        state = states.get(name)
        if not isinstance(state, Mapping):
            return 0.0
        own = state_worst_seconds(state)
        if own is None:
            raise ValueError(f"state {name!r} has no bounded duration")
        visiting.add(name)
        after = max((longest(n) for n in _next_states(state)), default=0.0)
        visiting.discard(name)
        memo[name] = own + after
        return memo[name]

    try:
        return longest(str(definition.get("StartAt"))), ""
    except ValueError as exc:
        return None, str(exc)


def timeout_problems(definition: Mapping[str, Any]) -> tuple[list[str], float | None]:
    worst, why = worst_case_seconds(definition)
    timeout = definition.get("TimeoutSeconds")
    if worst is None:
        return [f"the execution's worst case cannot be bounded: {why}"], None
    if not isinstance(timeout, int | float):
        return [f"the state machine has no TimeoutSeconds (worst case {worst:.0f} s)"], worst
    if timeout <= worst:
        return [
            f"TimeoutSeconds {timeout} is not longer than the worst case of its states' "
            f"timeouts and retries ({worst:.0f} s): the execution would time out while a retry "
            "could still finish, and no Catch would mark its batch failed"
        ], worst
    return [], worst
