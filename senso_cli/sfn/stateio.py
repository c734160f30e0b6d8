"""What a state reads and writes, in either query language: ``StateEnv`` and its steps.

A state's query language is its own ``QueryLanguage`` or else the machine's (default JSONPath).

- JSONPath: ``InputPath -> Parameters -> (work) -> ResultSelector -> ResultPath -> OutputPath``;
  ``Assign`` values (``"x.$": "$.path"``, intrinsics, ``$var`` paths) read the raw result.
- JSONata: ``Arguments -> (work) -> Output``, every field a JSON value whose ``{% %}`` strings
  are expressions over ``$states`` and the variables; ``Output`` defaults to the result (Task,
  Map, Parallel), the error output (a catcher) or the input (Pass, Wait, Choice, Succeed).

In both, ``Assign`` is evaluated with the variables as they were on entry and bound when the
state ends, after its output was computed (``variables.Variables``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from senso_cli.sfn import causes, choice, intrinsics, jsonata, paths, payload
from senso_cli.sfn.errors import (
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    PathNotFoundError,
    PathSyntaxError,
    StatesError,
)
from senso_cli.sfn.payload import ABSENT
from senso_cli.sfn.variables import Variables

JSONATA = "JSONata"
# The service keeps wait times in a signed 32-bit count of seconds.
MAX_WAIT_SECONDS = 2**31 - 1


@dataclass
class StateEnv:
    """One entry into a state: its input, context object, variables and language."""

    name: str
    state: Mapping[str, Any]
    raw: Any  # the state's input
    context: dict[str, Any]
    variables: Variables
    jsonata: bool
    rng: random.Random

    def bindings(self, **states: Any) -> dict[str, Any]:
        """JSONata's variables: the workflow's and ``$states``."""
        return {
            **self.variables.view(),
            "states": {"input": self.raw, "context": self.context, **states},
        }

    def expression(self, value: Any, field: str, **states: Any) -> Any:
        """A JSONata field (any JSON, with ``{% %}`` strings evaluated)."""
        return jsonata.resolve(value, self.bindings(**states), field)

    def effective_input(self) -> Any:
        if self.jsonata:
            return self.raw
        return payload.select_input(
            self.raw, self.state.get("InputPath", ABSENT), self.context, self.variables.view()
        )

    def template(self, field: str, data: Any) -> Any:
        """Parameters / ItemSelector / ResultSelector (JSONPath) or Arguments (JSONata)."""
        if self.jsonata:
            return self.expression(self.state[field], field)
        return payload.resolve_template(
            self.state[field], data, self.context, self.rng, self.variables.view()
        )

    def finish(
        self,
        result: Any,
        *,
        default_input: bool = False,
        holder: Mapping[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """The state's output and the variables it assigns, from the result of its work.

        ``holder`` is where Output/Assign are read (a JSONata Choice rule has its own).
        """
        if self.jsonata:
            holder = self.state if holder is None else holder
            states = {} if default_input else {"result": result}
            assigned = self._assign_jsonata(holder, states)
            output = (
                self.expression(holder["Output"], "Output", **states)
                if "Output" in holder
                else result
            )
            return output, assigned
        assigned = self._assign_jsonpath(self.state, result)
        if "ResultSelector" in self.state:
            result = self.template("ResultSelector", result)
        placed = payload.place_result(self.raw, result, self.state.get("ResultPath", ABSENT))
        return self.select_output(placed), assigned

    def passthrough(
        self, effective: Any, holder: Mapping[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Output and assignments of a state without a result (Wait, Choice, Succeed)."""
        if self.jsonata:
            return self.finish(self.raw, default_input=True, holder=holder)
        assigned = self._assign_jsonpath(self.state if holder is None else holder, effective)
        return self.select_output(effective), assigned

    def select_output(self, data: Any) -> Any:
        return payload.select_output(
            data, self.state.get("OutputPath", ABSENT), self.context, self.variables.view()
        )

    def caught(self, catcher: Mapping[str, Any], error: StatesError) -> tuple[Any, dict[str, Any]]:
        """The output and assignments of ``catcher`` for ``error``."""
        error_output = error.as_output()
        if self.jsonata:
            states = {"errorOutput": error_output}
            assigned = self._assign_jsonata(catcher, states)
            output = (
                self.expression(catcher["Output"], "Output", **states)
                if "Output" in catcher
                else error_output
            )
            return output, assigned
        assigned = self._assign_jsonpath(catcher, error_output)
        return payload.place_result(
            self.raw, error_output, catcher.get("ResultPath", ABSENT)
        ), assigned

    def choice_rule(self, rule: Mapping[str, Any], effective: Any) -> bool:
        if not self.jsonata:
            return choice.matches(rule, effective, self.context, self.variables.view())
        condition = rule.get("Condition")
        value = (
            self.expression(condition, "Condition")
            if jsonata.is_expression(condition)
            else condition
        )
        if not isinstance(value, bool):
            expression = jsonata.body(condition) if isinstance(condition, str) else str(condition)
            raise StatesError(
                QUERY_EVALUATION_ERROR,
                causes.jsonata_unexpected_type(expression, "Condition", "boolean", value),
            )
        return value

    def _assign_jsonata(self, holder: Mapping[str, Any], states: dict[str, Any]) -> dict[str, Any]:
        if "Assign" not in holder:
            return {}
        assign = holder["Assign"]
        if jsonata.is_expression(assign):
            values = self.expression(assign, "Assign", **states)
            return dict(values) if isinstance(values, Mapping) else {}
        return {
            name: self.expression(value, f"Assign/{name}", **states)
            for name, value in assign.items()
        }

    def _assign_jsonpath(self, holder: Mapping[str, Any], data: Any) -> dict[str, Any]:
        if "Assign" not in holder:
            return {}
        values = payload.resolve_template(
            holder["Assign"], data, self.context, self.rng, self.variables.view()
        )
        return dict(values)

    # --- Wait and Fail ---------------------------------------------------------------------------

    def wait_seconds(self, effective: Any, now: datetime) -> float:
        state = self.state
        if "Seconds" in state:
            seconds = state["Seconds"]
            if self.jsonata and jsonata.is_expression(seconds):
                seconds = self.expression(seconds, "Seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise StatesError(RUNTIME, causes.seconds_path_not_long("Seconds", seconds))
            return _bounded(float(seconds))
        if "SecondsPath" in state:
            return _bounded(self._seconds_path(state["SecondsPath"], effective))
        if "Timestamp" in state:
            text = state["Timestamp"]
            if self.jsonata and jsonata.is_expression(text):
                text = self.expression(text, "Timestamp")
            moment = choice.parse_timestamp(text)
            if moment is None:
                error = QUERY_EVALUATION_ERROR if self.jsonata else RUNTIME
                raise StatesError(error, causes.timestamp_invalid(text))
        else:
            path = state["TimestampPath"]
            try:
                text = paths.get(
                    effective, path, context=self.context, variables=self.variables.view()
                )
            except (PathNotFoundError, PathSyntaxError):
                raise StatesError(RUNTIME, causes.timestamp_path_missing(path)) from None
            moment = choice.parse_timestamp(text)
            if moment is None:
                raise StatesError(RUNTIME, causes.timestamp_path_invalid(path, text))
        return _bounded(max(0.0, (moment - now).total_seconds()))

    def _seconds_path(self, path: str, effective: Any) -> float:
        try:
            seconds = paths.get(
                effective, path, context=self.context, variables=self.variables.view()
            )
        except (PathNotFoundError, PathSyntaxError):
            raise StatesError(RUNTIME, causes.seconds_path_missing(path)) from None
        # The service reads a Java long: 2.0 is fine, 1.5 and "3" are not.
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or seconds != int(seconds)
        ):
            raise StatesError(RUNTIME, causes.seconds_path_not_long(path, seconds))
        if seconds < 0:
            raise StatesError(RUNTIME, causes.seconds_path_negative(path, int(seconds)))
        return float(seconds)

    def fail_field(self, field: str) -> str | None:
        """Error/ErrorPath or Cause/CausePath of a Fail state."""
        state = self.state
        if f"{field}Path" not in state:
            value = state.get(field)
            if self.jsonata and jsonata.is_expression(value):
                value = self.expression(value, field)
            return None if value is None else str(value)
        path = state[f"{field}Path"]
        view = self.variables.view()
        try:
            if intrinsics.is_intrinsic(path):
                value = intrinsics.evaluate(path, self.raw, self.context, self.rng, view)
            else:
                value = paths.get(self.raw, path, context=self.context, variables=view)
        except PathNotFoundError as exc:
            where = exc.path or path
            data = exc.data if exc.path else (self.context if where.startswith("$$") else self.raw)
            cause = causes.field_path_not_found(where, f"{field}Path", data)
            raise StatesError(RUNTIME, cause) from None
        except PathSyntaxError as exc:
            raise StatesError(RUNTIME, causes.invalid_path(path, str(exc))) from None
        if not isinstance(value, str):
            return causes.compact(value)
        return value


def _bounded(seconds: float) -> float:
    if seconds > MAX_WAIT_SECONDS:
        raise StatesError(RUNTIME, causes.wait_too_long())
    return seconds


def language_of(state: Mapping[str, Any], machine_language: str) -> bool:
    """Whether ``state`` uses JSONata."""
    return bool(state.get("QueryLanguage", machine_language) == JSONATA)
