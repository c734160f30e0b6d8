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

from senso_cli.sfn import causes, intrinsics, paths
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

Variables = Mapping[str, Any] | None


def select_input(data: Any, input_path: Any, context: Any, variables: Variables = None) -> Any:
    """Apply InputPath (default ``$``)."""
    path = "$" if input_path is ABSENT else input_path
    return _select(data, path, context, variables)


def select_output(data: Any, output_path: Any, context: Any, variables: Variables = None) -> Any:
    """Apply OutputPath (default ``$``)."""
    path = "$" if output_path is ABSENT else output_path
    return _select(data, path, context, variables)


def _select(data: Any, path: Any, context: Any, variables: Variables) -> Any:
    if path is None:
        return {}
    return select_path(data, path, context, variables)


def select_path(data: Any, path: Any, context: Any, variables: Variables = None) -> Any:
    """The value ``path`` selects, or States.Runtime worded as AWS words an invalid path."""
    try:
        return paths.get(data, path, context=context, variables=variables)
    except (PathNotFoundError, PathSyntaxError) as exc:
        raise StatesError(RUNTIME, causes.invalid_path(str(path), str(exc))) from None


def resolve_template(
    template: Any, data: Any, context: Any, rng: random.Random, variables: Variables = None
) -> Any:
    """Build the JSON a payload template describes (Parameters, ItemSelector, ResultSelector,
    a JSONPath Assign).

    A field whose name ends in ``.$`` takes the value its path or intrinsic call selects, under
    the name without the suffix; everything else is copied, recursing into objects and arrays.
    """
    if isinstance(template, Mapping):
        resolved: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                resolved[key[:-2]] = _resolve_dynamic(key, value, data, context, rng, variables)
            else:
                resolved[key] = resolve_template(value, data, context, rng, variables)
        return resolved
    if isinstance(template, list):
        return [resolve_template(item, data, context, rng, variables) for item in template]
    return template


def _resolve_dynamic(
    key: str, value: Any, data: Any, context: Any, rng: random.Random, variables: Variables
) -> Any:
    try:
        if intrinsics.is_intrinsic(value):
            try:
                return intrinsics.evaluate(value, data, context, rng, variables)
            except PathSyntaxError as exc:
                raise StatesError(INTRINSIC_FAILURE, f"The field {key!r}: {exc}") from None
        if not paths.is_path(value):
            raise StatesError(
                PARAMETER_PATH_FAILURE, f"The value of the field {key!r} is not a path: {value!r}"
            )
        try:
            return paths.get(data, value, context=context, variables=variables)
        except PathSyntaxError:
            raise PathNotFoundError(value) from None
    except paths.VariableNotFoundError as exc:
        raise StatesError(RUNTIME, str(exc)) from None
    except PathNotFoundError as exc:
        # The spec names States.ParameterPathFailure for this, but the service fails with
        # States.Runtime, which no catcher can handle; we do what the service does.
        path = exc.path or str(value)
        source = exc.data if exc.path else (context if path.startswith("$$") else data)
        raise StatesError(RUNTIME, causes.field_path_not_found(path, key, source)) from None


def place_result(state_input: Any, result: Any, result_path: Any) -> Any:
    """Apply ResultPath (default ``$``): where the result goes in the state's input."""
    if result_path is ABSENT or result_path == "$":
        return result
    if result_path is None:
        return state_input
    try:
        return paths.set_at(state_input, result_path, result)
    except (PathNotFoundError, PathSyntaxError) as exc:
        raise StatesError(
            RESULT_PATH_MATCH_FAILURE, causes.invalid_path(str(result_path), str(exc))
        ) from None
