"""Definition checks for the query language: JSONata states and workflow variables.

Problems are worded as the service's ValidateStateMachineDefinition words them
(``SCHEMA_VALIDATION_FAILED: <message> at <location>``), so what ``senso validate`` prints is
what CreateStateMachine would answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from senso_cli.sfn import jsonata

JSONATA, JSONPATH = "JSONata", "JSONPath"
LANGUAGES = (JSONPATH, JSONATA)

# Fields that only JSONPath states have; a JSONata state uses Arguments, Output, Items...
JSONPATH_ONLY = (
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
# And the other way round.
JSONATA_ONLY = ("Arguments", "Output", "Items")
# Fields whose whole value may be one JSONata expression, and templates with expressions inside.
_EXPRESSION_FIELDS = (
    "Arguments",
    "Output",
    "Items",
    "ItemSelector",
    "Assign",
    "Seconds",
    "Timestamp",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "Error",
    "Cause",
)


def schema(message: str, location: str) -> str:
    return f"SCHEMA_VALIDATION_FAILED: {message} at {location}"


def check_machine_language(definition: Mapping[str, Any], found: list[str]) -> str:
    """The machine's QueryLanguage (JSONPath by default); a bad value is a problem."""
    language = definition.get("QueryLanguage", JSONPATH)
    if language not in LANGUAGES:
        found.append(
            schema(
                f"The field 'QueryLanguage' should have one of these values: {list(LANGUAGES)}", "/"
            )
        )
        return JSONPATH
    return str(language)


def check_state(
    state: Mapping[str, Any], machine_language: str, location: str, found: list[str]
) -> bool:
    """Check ``state``'s language fields; True when the state uses JSONata."""
    language = state.get("QueryLanguage", machine_language)
    if language not in LANGUAGES:
        found.append(
            schema(
                f"The field 'QueryLanguage' should have one of these values: {list(LANGUAGES)}",
                location,
            )
        )
        return False
    if machine_language == JSONATA and language == JSONPATH:
        found.append(
            schema(
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                location,
            )
        )
    if language == JSONATA:
        for field in JSONPATH_ONLY:
            if field in state:
                found.append(
                    schema(f"The field '{field}' is not supported for JSONata states", location)
                )
        for field in _EXPRESSION_FIELDS:
            if field in state:
                check_expressions(state[field], f"{location}/{field}", found)
        for index, rule in enumerate(state.get("Choices", []) or []):
            if isinstance(rule, Mapping):
                check_expressions(
                    rule.get("Condition"), f"{location}/Choices/{index}/Condition", found
                )
                for field in ("Output", "Assign"):
                    if field in rule:
                        check_expressions(rule[field], f"{location}/Choices/{index}/{field}", found)
        for index, catcher in enumerate(state.get("Catch", []) or []):
            if isinstance(catcher, Mapping):
                for field in ("Output", "Assign"):
                    if field in catcher:
                        check_expressions(
                            catcher[field], f"{location}/Catch/{index}/{field}", found
                        )
        return True
    for field in JSONATA_ONLY:
        if field in state:
            found.append(
                schema(f"The field '{field}' is not supported for JSONPath states", location)
            )
    return False


def check_expressions(value: Any, location: str, found: list[str]) -> None:
    """Every ``{% %}`` string in ``value`` must be a JSONata expression that parses."""
    if isinstance(value, str) and jsonata.is_expression(value):
        try:
            jsonata.compile_expression(jsonata.body(value))
        except ValueError as exc:
            found.append(schema(f"The value must be a valid JSONata expression: {exc}", location))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_expressions(item, f"{location}/{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_expressions(item, f"{location}/{index}", found)


def check_assign(assign: Any, location: str, found: list[str]) -> None:
    """Assign must be an object whose names are not the reserved ``states``."""
    if isinstance(assign, str) and jsonata.is_expression(assign):
        return
    if not isinstance(assign, Mapping):
        found.append(schema("The field 'Assign' must be an object", location))
        return
    for name in assign:
        base = name[:-2] if name.endswith(".$") else name
        if base == "states":
            found.append(
                schema("The variable name 'states' is reserved and cannot be assigned", location)
            )
