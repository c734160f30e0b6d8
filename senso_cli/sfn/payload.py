"""Input and output processing: InputPath, payload templates, ResultPath and OutputPath.

The order a state applies them in is the specification's:
``InputPath -> Parameters/ItemSelector -> (the work) -> ResultSelector -> ResultPath ->
OutputPath``. A ``null`` InputPath or OutputPath means ``{}``; a ``null`` ResultPath discards
the result and passes the state's input through.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from senso_cli.sfn import intrinsics, paths
from senso_cli.sfn.errors import (
    INTRINSIC_FAILURE,
    PARAMETER_PATH_FAILURE,
    RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
    PathNotFoundError,
    PathSyntaxError,
    StatesError,
)

# Sentinel for "the field is absent", which is not the same as a JSON null for the *Path fields.
ABSENT: Any = object()


def select_input(data: Any, input_path: Any, context: Any) -> Any:
    """Apply InputPath (default ``$``)."""
    return _select(data, "$" if input_path is ABSENT else input_path, context, "InputPath")


def select_output(data: Any, output_path: Any, context: Any) -> Any:
    """Apply OutputPath (default ``$``)."""
    return _select(data, "$" if output_path is ABSENT else output_path, context, "OutputPath")


def _select(data: Any, path: Any, context: Any, field: str) -> Any:
    if path is None:
        return {}
    return select_path(data, path, context, field)


def select_path(data: Any, path: Any, context: Any, field: str) -> Any:
    """The value `path` selects for the state's `field`, or States.Runtime naming both."""
    try:
        return paths.get(data, path, context=context)
    except (PathNotFoundError, PathSyntaxError) as exc:
        # AWS fails the execution with States.Runtime here (the spec names no error for it).
        raise StatesError(RUNTIME, f"Invalid path {path!r} in {field}: {exc}") from None


def resolve_template(template: Any, data: Any, context: Any, rng: random.Random) -> Any:
    """Build the JSON a payload template describes (Parameters, ItemSelector, ResultSelector).

    A field whose name ends in ``.$`` takes the value its path or intrinsic call selects, under
    the name without the suffix; everything else is copied, recursing into objects and arrays.
    """
    if isinstance(template, Mapping):
        resolved: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                resolved[key[:-2]] = _resolve_dynamic(key, value, data, context, rng)
            else:
                resolved[key] = resolve_template(value, data, context, rng)
        return resolved
    if isinstance(template, list):
        return [resolve_template(item, data, context, rng) for item in template]
    return template


def _resolve_dynamic(key: str, value: Any, data: Any, context: Any, rng: random.Random) -> Any:
    if intrinsics.is_intrinsic(value):
        try:
            return intrinsics.evaluate(value, data, context, rng)
        except PathSyntaxError as exc:
            raise StatesError(INTRINSIC_FAILURE, f"The field {key!r}: {exc}") from None
    if not paths.is_path(value):
        raise StatesError(
            PARAMETER_PATH_FAILURE, f"The value of the field {key!r} is not a path: {value!r}"
        )
    try:
        return paths.get(data, value, context=context)
    except (PathNotFoundError, PathSyntaxError):
        # The spec names States.ParameterPathFailure for this, but the service (and LocalStack,
        # whose behaviour is recorded against it) fails with States.Runtime, which no catcher
        # can handle; we do what the service does.
        raise StatesError(
            RUNTIME,
            f"The JSONPath {value!r} specified for the field {key!r} "
            "could not be found in the input",
        ) from None


def place_result(state_input: Any, result: Any, result_path: Any) -> Any:
    """Apply ResultPath (default ``$``): where the result goes in the state's input."""
    if result_path is ABSENT or result_path == "$":
        return result
    if result_path is None:
        return state_input
    try:
        return paths.set_at(state_input, result_path, result)
    except (PathNotFoundError, PathSyntaxError) as exc:
        raise StatesError(RESULT_PATH_MATCH_FAILURE, f"Unable to apply ResultPath: {exc}") from None
