"""Every cause text the runtime writes for its own errors, worded as AWS Step Functions words it.

Operators alert on these texts, so they follow the service's wording (as recorded in execution
histories of real Step Functions executions) rather than our own. The States.Runtime and
States.QueryEvaluationError causes get the prefix ``located`` adds, naming the state and the id
of its StateEntered event, as the service does.

Keep every wording here: one place to compare against the service.
"""

from __future__ import annotations

import json
from typing import Any


def compact(value: Any) -> str:
    """JSON as the service quotes values inside causes: no spaces."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def located(state: str, entered_event_id: int, cause: str) -> str:
    return (
        f"An error occurred while executing the state '{state}' "
        f"(entered at the event id #{entered_event_id}). {cause}"
    )


# --- JSONPath -----------------------------------------------------------------------------------


def invalid_path(path: str, reason: str) -> str:
    """InputPath, OutputPath, ResultPath, ItemsPath, TimeoutSecondsPath... selecting nothing."""
    return f"Invalid path '{path}' : {reason}"


def no_results(bracket_path: str) -> str:
    return f"No results for path: {bracket_path}"


def missing_property(bracket_path: str) -> str:
    return f"Missing property in path {bracket_path}"


def field_path_not_found(path: str, field: str, data: Any) -> str:
    """A ``.$`` field of a payload template (or ErrorPath/CausePath) whose path selects nothing."""
    return (
        f"The JSONPath '{path}' specified for the field '{field}' "
        f"could not be found in the input '{compact(data)}'"
    )


def variable_not_found(name: str) -> str:
    return f"The variable '${name}' could not be found."


def choice_path_invalid(path: str) -> str:
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


def no_choice_matched() -> str:
    return "No Choice Rules matched and no Default was specified."


# --- Wait ---------------------------------------------------------------------------------------


def seconds_path_missing(path: str) -> str:
    return f"The SecondsPath parameter does not reference an input value: {path}"


def seconds_path_not_long(path: str, value: Any) -> str:
    return f"The SecondsPath parameter cannot be parsed as a long value: {path} == {_plain(value)}"


def seconds_path_negative(path: str, value: Any) -> str:
    return f"The SecondsPath parameter references a negative value: {path} == {_plain(value)}"


def timestamp_invalid(text: Any) -> str:
    return (
        "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
        f"string: {_plain(text)}"
    )


def timestamp_path_invalid(path: str, value: Any) -> str:
    return (
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
        f"date-time format string: {path} == {_plain(value)}"
    )


def timestamp_path_missing(path: str) -> str:
    return f"The TimestampPath parameter does not reference an input value: {path}"


def wait_too_long() -> str:
    return "Wait state delay is too long."


# --- Map, Parallel, limits ----------------------------------------------------------------------


def items_not_array(value: Any) -> str:
    return f"Map state input must be an array but was: {compact(value)}"


def path_not_integer(field: str, value: Any, path: str) -> str:
    return (
        f'The {field} field refers to value "{_plain(value)}" which is not a valid integer: {path}'
    )


def path_not_float(field: str, value: Any, path: str) -> str:
    return f'The {field} field refers to value "{_plain(value)}" which is not a valid float: {path}'


def tolerated_count_negative() -> str:
    return "ToleratedFailureCount cannot be negative."


def tolerated_percentage_range() -> str:
    return "ToleratedFailurePercentage must be between 0 and 100."


def tolerated_threshold_exceeded() -> str:
    return "The specified tolerated failure threshold was exceeded"


def result_too_large(state: str) -> str:
    return (
        f"The state/task '{state}' returned a result with a size exceeding the maximum number "
        "of bytes service limit."
    )


def execution_timed_out() -> str:
    return "The execution exceeded the state machine's TimeoutSeconds."


# --- Intrinsic functions ------------------------------------------------------------------------


def intrinsic(function: str, detail: str) -> str:
    return f"Invalid arguments in {function}: {detail}"


def intrinsic_path_not_found(path: str, data: Any) -> str:
    return f"The JSONPath '{path}' could not be found in the input '{compact(data)}'"


# --- JSONata ------------------------------------------------------------------------------------


def jsonata_undefined(expression: str, field: str) -> str:
    return (
        f"The JSONata expression '{expression}' specified for the field '{field}' "
        "returned nothing (undefined)."
    )


def jsonata_failed(expression: str, field: str, message: str) -> str:
    return (
        f"The JSONata expression '{expression}' specified for the field '{field}' "
        f"threw an error during evaluation. {message}"
    )


def jsonata_unexpected_type(expression: str, field: str, expected: str, value: Any) -> str:
    return (
        f"The JSONata expression '{expression}' specified for the field '{field}' returned an "
        f"unexpected result type. Expected '{expected}', but was '{json_type(value)}' for value: "
        f"{compact(value)}"
    )


def jsonata_unsupported(expression: str, field: str) -> str:
    return (
        f"The JSONata expression '{expression}' specified for the field '{field}' "
        "returned an unsupported result type."
    )


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _plain(value: Any) -> str:
    """A value as the service prints it after ``==``: strings bare, the rest as JSON."""
    return value if isinstance(value, str) else compact(value)
