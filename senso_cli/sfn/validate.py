"""Structural validation of a state machine definition, the checks AWS makes at creation time.

``problems(definition)`` lists every issue found (an empty list means the machine can run);
``check(definition)`` raises ``DefinitionError`` with that list. ``reachable_states`` is the
set of states a machine (or one Parallel branch / Map processor) can ever enter from StartAt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from senso_cli.sfn import choice, intrinsics, jsonata, paths, validate_jsonata
from senso_cli.sfn.errors import ALL, DefinitionError, PathSyntaxError

STATE_TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
_TERMINAL_TYPES = frozenset({"Succeed", "Fail"})
_HANDLES_ERRORS = frozenset({"Task", "Parallel", "Map"})
_TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Assign")
_PATH_FIELDS = ("InputPath", "OutputPath", "ItemsPath")
_STAND_INS: dict[str, Any] = {"Timestamp": "1970-01-01T00:00:00Z", "Error": "E", "Cause": "C"}


def load(definition: Mapping[str, Any] | str) -> dict[str, Any]:
    """The definition as a dict, parsing it when given as JSON text."""
    if isinstance(definition, str):
        try:
            loaded = json.loads(definition)
        except ValueError as exc:
            raise DefinitionError([f"the definition is not valid JSON: {exc}"]) from None
    else:
        loaded = definition
    if not isinstance(loaded, Mapping):
        raise DefinitionError(["the definition must be a JSON object"])
    return dict(loaded)


def check(definition: Mapping[str, Any] | str) -> dict[str, Any]:
    """The loaded definition; raises ``DefinitionError`` listing every problem."""
    loaded = load(definition)
    found = problems(loaded)
    if found:
        raise DefinitionError(found)
    return loaded


def problems(definition: Mapping[str, Any]) -> list[str]:
    """Every structural problem of ``definition``, each a one-line message."""
    found: list[str] = []
    language = validate_jsonata.check_machine_language(definition, found)
    _check_machine(definition, "", found, language, "")
    seen: set[str] = set()
    for name in _all_state_names(definition):
        if name in seen:
            found.append(f"state name {name!r} is used more than once (names must be unique)")
        seen.add(name)
    if "TimeoutSeconds" in definition and not _positive_number(definition["TimeoutSeconds"]):
        found.append("TimeoutSeconds of the state machine must be a positive number")
    return found


def transitions(state: Mapping[str, Any]) -> list[str]:
    """Names of the states ``state`` can move to (Next, Default, choice rules, catchers)."""
    targets = [state["Next"]] if isinstance(state.get("Next"), str) else []
    for rule in state.get("Choices", []) if isinstance(state.get("Choices"), list) else []:
        if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
            targets.append(rule["Next"])
    if isinstance(state.get("Default"), str):
        targets.append(state["Default"])
    for catcher in state.get("Catch", []) if isinstance(state.get("Catch"), list) else []:
        if isinstance(catcher, Mapping) and isinstance(catcher.get("Next"), str):
            targets.append(catcher["Next"])
    return targets


def reachable_states(definition: Mapping[str, Any]) -> set[str]:
    """States reachable from StartAt, following every transition (not into nested branches)."""
    states = definition.get("States")
    if not isinstance(states, Mapping):
        return set()
    pending = [definition.get("StartAt")]
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if not isinstance(name, str) or name in reached or name not in states:
            continue
        reached.add(name)
        if isinstance(states[name], Mapping):
            pending.extend(transitions(states[name]))
    return reached


def nested_machines(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sub-machines of a Parallel (its branches) or Map (its item processor)."""
    if state.get("Type") == "Parallel" and isinstance(state.get("Branches"), list):
        return [branch for branch in state["Branches"] if isinstance(branch, Mapping)]
    if state.get("Type") == "Map":
        processor = state.get("ItemProcessor", state.get("Iterator"))
        return [processor] if isinstance(processor, Mapping) else []
    return []


def _all_state_names(machine: Mapping[str, Any]) -> Iterator[str]:
    states = machine.get("States")
    if not isinstance(states, Mapping):
        return
    for name, state in states.items():
        yield name
        if isinstance(state, Mapping):
            for nested in nested_machines(state):
                yield from _all_state_names(nested)


def _check_machine(
    machine: Mapping[str, Any], where: str, found: list[str], language: str, location: str
) -> None:
    states = machine.get("States")
    if not isinstance(states, Mapping) or not states:
        found.append(f"{where}States must be a non-empty object")
        return
    start = machine.get("StartAt")
    if not isinstance(start, str) or start not in states:
        found.append(f"{where}StartAt {start!r} does not name a state")
    for name, state in states.items():
        if not isinstance(state, Mapping):
            found.append(f"{where}state {name!r} must be an object")
            continue
        uses_jsonata = validate_jsonata.check_state(
            state, language, f"{location}/States/{name}", found
        )
        _check_state(name, state, states, f"{where}state {name!r}: ", found, language, uses_jsonata)
    reachable = reachable_states(machine)
    for name in states:
        if name not in reachable and isinstance(start, str) and start in states:
            found.append(f"{where}state {name!r} is not reachable from StartAt")


def _check_state(
    name: str,
    state: Mapping[str, Any],
    states: Mapping[str, Any],
    where: str,
    found: list[str],
    language: str,
    uses_jsonata: bool,
) -> None:
    kind = state.get("Type")
    if kind not in STATE_TYPES:
        found.append(
            f"{where}unknown Type {kind!r} (expected one of {', '.join(sorted(STATE_TYPES))})"
        )
        return
    if len(name) > 80:
        found.append(f"{where}the name is longer than 80 characters")
    for target in transitions(state):
        if target not in states:
            found.append(f"{where}transition to {target!r}, which does not exist")
    _check_flow(kind, state, where, found)
    for field in ("Retry", "Catch"):
        if field in state:
            if kind not in _HANDLES_ERRORS:
                found.append(f"{where}{field} is not allowed in a {kind} state")
            else:
                _check_handlers(field, state[field], where, found)
    if "Assign" in state:
        validate_jsonata.check_assign(state["Assign"], f"/States/{name}/Assign", found)
    if not uses_jsonata:
        _check_jsonpath_fields(state, where, found)
    if uses_jsonata and kind == "Choice":
        _check_conditions(state, where, found)
    elif uses_jsonata:
        # Numbers and timestamps given as {% %} expressions are checked when they run: stand a
        # valid literal in for them here.
        literal = {
            key: (_STAND_INS.get(key, 1) if jsonata.is_expression(value) else value)
            for key, value in state.items()
        }
        _KIND_CHECKS.get(kind, _no_check)(literal, where, found)
    else:
        _KIND_CHECKS.get(kind, _no_check)(state, where, found)
    for index, nested in enumerate(nested_machines(state)):
        _check_machine(nested, f"{where}branch {index}: ", found, language, f"/States/{name}")


def _check_conditions(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    rules = state.get("Choices")
    if not isinstance(rules, list) or not rules:
        found.append(f"{where}Choices must be a non-empty array")
        return
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping) or "Next" not in rule or "Condition" not in rule:
            found.append(f"{where}Choices[{index}] needs a Condition and a Next")


def _check_jsonpath_fields(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    for field in _TEMPLATE_FIELDS:
        if field in state:
            _check_template(state[field], f"{where}{field}", found)
    for field in _PATH_FIELDS:
        if isinstance(state.get(field), str):
            _check_path(state[field], f"{where}{field}", found)
    result_path = state.get("ResultPath")
    if isinstance(result_path, str):
        try:
            parsed = paths.parse(result_path)
            if parsed.context or parsed.variable is not None or not parsed.definite:
                found.append(f"{where}ResultPath {result_path!r} must be a reference path")
        except PathSyntaxError as exc:
            found.append(f"{where}ResultPath: {exc}")


def _check_flow(kind: str, state: Mapping[str, Any], where: str, found: list[str]) -> None:
    has_next, ends = "Next" in state, state.get("End") is True
    if kind in _TERMINAL_TYPES or kind == "Choice":
        if has_next or "End" in state:
            found.append(f"{where}a {kind} state cannot have Next or End")
    elif has_next == ends:
        found.append(f"{where}exactly one of Next or End: true is required")


def _check_handlers(field: str, handlers: Any, where: str, found: list[str]) -> None:
    if not isinstance(handlers, list):
        found.append(f"{where}{field} must be an array")
        return
    for index, handler in enumerate(handlers):
        errors = handler.get("ErrorEquals") if isinstance(handler, Mapping) else None
        if (
            not isinstance(errors, list)
            or not errors
            or not all(isinstance(e, str) for e in errors)
        ):
            found.append(
                f"{where}{field}[{index}].ErrorEquals must be a non-empty array of strings"
            )
            continue
        if ALL in errors and (len(errors) > 1 or index != len(handlers) - 1):
            found.append(
                f"{where}{field}[{index}]: States.ALL must appear alone and in the last "
                + ("retrier" if field == "Retry" else "catcher")
            )
        if field == "Catch" and not isinstance(handler.get("Next"), str):
            found.append(f"{where}Catch[{index}] needs a Next")
        if field == "Retry":
            _check_retrier(handler, f"{where}Retry[{index}]", found)


def _check_retrier(retrier: Mapping[str, Any], where: str, found: list[str]) -> None:
    attempts = retrier.get("MaxAttempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 0:
        found.append(f"{where}.MaxAttempts must be a non-negative integer")
    if not _positive_number(retrier.get("IntervalSeconds", 1)):
        found.append(f"{where}.IntervalSeconds must be a positive number")
    rate = retrier.get("BackoffRate", 2.0)
    if not _number(rate) or rate < 1.0:
        found.append(f"{where}.BackoffRate must be a number of at least 1.0")
    if "MaxDelaySeconds" in retrier and not _positive_number(retrier["MaxDelaySeconds"]):
        found.append(f"{where}.MaxDelaySeconds must be a positive number")
    if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
        found.append(f"{where}.JitterStrategy must be FULL or NONE")


def _check_template(template: Any, where: str, found: list[str]) -> None:
    if isinstance(template, Mapping):
        for key, value in template.items():
            if key.endswith(".$"):
                _check_dynamic(value, f"{where}.{key}", found)
            else:
                _check_template(value, f"{where}.{key}", found)
    elif isinstance(template, list):
        for index, item in enumerate(template):
            _check_template(item, f"{where}[{index}]", found)


def _check_dynamic(value: Any, where: str, found: list[str]) -> None:
    if intrinsics.is_intrinsic(value):
        try:
            intrinsics.parse(value)
        except PathSyntaxError as exc:
            found.append(f"{where}: {exc}")
    elif paths.is_path(value):
        _check_path(value, where, found)
    else:
        found.append(f"{where}: a field ending in '.$' needs a path or intrinsic, got {value!r}")


def _check_path(value: str, where: str, found: list[str]) -> None:
    try:
        paths.parse(value)
    except PathSyntaxError as exc:
        found.append(f"{where}: {exc}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive_number(value: Any) -> bool:
    return _number(value) and value > 0


def _exclusive(
    state: Mapping[str, Any], fields: tuple[str, ...], where: str, found: list[str]
) -> None:
    if sum(field in state for field in fields) > 1:
        found.append(f"{where}only one of {', '.join(fields)} may be given")


def _check_task(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    if not isinstance(state.get("Resource"), str):
        found.append(f"{where}a Task needs a Resource")
    _exclusive(state, ("TimeoutSeconds", "TimeoutSecondsPath"), where, found)
    _exclusive(state, ("HeartbeatSeconds", "HeartbeatSecondsPath"), where, found)
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    for field, value in (("TimeoutSeconds", timeout), ("HeartbeatSeconds", heartbeat)):
        if value is not None and not _positive_number(value):
            found.append(f"{where}{field} must be a positive number")
    if (
        isinstance(timeout, int | float)
        and isinstance(heartbeat, int | float)
        and _positive_number(timeout)
        and _positive_number(heartbeat)
        and heartbeat >= timeout
    ):
        found.append(f"{where}HeartbeatSeconds must be smaller than TimeoutSeconds")


def _check_wait(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    fields = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
    if sum(field in state for field in fields) != 1:
        found.append(f"{where}a Wait needs exactly one of {', '.join(fields)}")
    if "Seconds" in state and (not _number(state["Seconds"]) or state["Seconds"] < 0):
        found.append(f"{where}Seconds must be a non-negative number")
    if "Timestamp" in state and choice.parse_timestamp(state["Timestamp"]) is None:
        found.append(f"{where}Timestamp {state['Timestamp']!r} is not an RFC 3339 timestamp")


def _check_fail(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    _exclusive(state, ("Error", "ErrorPath"), where, found)
    _exclusive(state, ("Cause", "CausePath"), where, found)


def _check_choice(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    rules = state.get("Choices")
    if not isinstance(rules, list) or not rules:
        found.append(f"{where}Choices must be a non-empty array")
        return
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping) or "Next" not in rule:
            found.append(f"{where}Choices[{index}] needs a Next")
        else:
            _check_rule(rule, f"{where}Choices[{index}]", found)


def _check_rule(rule: Any, where: str, found: list[str]) -> None:
    if not isinstance(rule, Mapping):
        found.append(f"{where} must be an object")
    elif "And" in rule or "Or" in rule:
        subrules = rule.get("And", rule.get("Or"))
        if not isinstance(subrules, list) or not subrules:
            found.append(f"{where}: And/Or needs a non-empty array of rules")
        else:
            for index, subrule in enumerate(subrules):
                _check_rule(subrule, f"{where}[{index}]", found)
    elif "Not" in rule:
        _check_rule(rule["Not"], f"{where}.Not", found)
    elif choice.operator_of(rule) is None or not isinstance(rule.get("Variable"), str):
        found.append(f"{where}: a rule needs a Variable and exactly one comparison operator")
    else:
        _check_path(rule["Variable"], f"{where}.Variable", found)


def _check_parallel(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    if not isinstance(state.get("Branches"), list) or not state["Branches"]:
        found.append(f"{where}a Parallel needs a non-empty Branches array")


def _check_map(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    if not isinstance(state.get("ItemProcessor", state.get("Iterator")), Mapping):
        found.append(f"{where}a Map needs an ItemProcessor (or Iterator)")
    _exclusive(state, ("ItemSelector", "Parameters"), where, found)
    _exclusive(state, ("MaxConcurrency", "MaxConcurrencyPath"), where, found)
    concurrency = state.get("MaxConcurrency", 0)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
        found.append(f"{where}MaxConcurrency must be a non-negative integer")


def _no_check(state: Mapping[str, Any], where: str, found: list[str]) -> None:
    return None


_KIND_CHECKS = {
    "Task": _check_task,
    "Wait": _check_wait,
    "Fail": _check_fail,
    "Choice": _check_choice,
    "Parallel": _check_parallel,
    "Map": _check_map,
}
