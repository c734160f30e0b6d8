"""Choice rules: comparison operators, the boolean combinators and timestamp/pattern matching.

Semantics that are easy to get wrong, from the specification:

- a comparison whose operands are not of the operator's type is simply false (``NumericEquals``
  on a string does not fail);
- a ``Variable`` (or ``...Path`` operand) that selects nothing fails the state with
  ``States.Runtime`` -- except under ``IsPresent``, whose whole point is to ask;
- ``StringMatches`` treats ``*`` as "any run of characters", ``\\*`` as a literal star and
  ``\\\\`` as a literal backslash;
- timestamps are RFC 3339 with an upper-case ``T`` and a ``Z`` or numeric offset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from senso_cli.sfn import causes, paths
from senso_cli.sfn.errors import RUNTIME, PathNotFoundError, PathSyntaxError, StatesError

_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


def parse_timestamp(value: Any) -> datetime | None:
    """The datetime an RFC 3339 timestamp string denotes, or None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.match(value)
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    # fromisoformat takes at most microseconds; AWS accepts longer fractions.
    micro = (fraction or ".0")[1:7].ljust(6, "0")
    try:
        return datetime.fromisoformat(f"{whole}.{micro}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@functools.lru_cache(maxsize=512)
def _pattern(glob: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "\\" and index + 1 < len(glob):
            parts.append(re.escape(glob[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def string_matches(value: str, glob: str) -> bool:
    return _pattern(glob).fullmatch(value) is not None


def _compare(kind: str, left: Any, right: Any) -> int | None:
    """-1/0/1 ordering of two operands of ``kind``, or None when either is of another type."""
    if kind == "String":
        if not isinstance(left, str) or not isinstance(right, str):
            return None
    elif kind == "Numeric":
        if not _is_number(left) or not _is_number(right):
            return None
    elif kind == "Boolean":
        if not isinstance(left, bool) or not isinstance(right, bool):
            return None
    else:
        left, right = parse_timestamp(left), parse_timestamp(right)
        if left is None or right is None:
            return None
    return int(left > right) - int(left < right)


_ORDERINGS: dict[str, Callable[[int], bool]] = {
    "Equals": lambda order: order == 0,
    "LessThan": lambda order: order < 0,
    "GreaterThan": lambda order: order > 0,
    "LessThanEquals": lambda order: order <= 0,
    "GreaterThanEquals": lambda order: order >= 0,
}
_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": _is_number,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: parse_timestamp(value) is not None,
}

COMPARISON_OPERATORS = frozenset(
    {f"{kind}{order}" for kind in _KINDS for order in _ORDERINGS if kind != "Boolean"}
    | {f"{kind}{order}Path" for kind in _KINDS for order in _ORDERINGS if kind != "Boolean"}
    | {"BooleanEquals", "BooleanEqualsPath", "StringMatches", "IsPresent"}
    | set(_TYPE_TESTS)
)


def operator_of(rule: Mapping[str, Any]) -> str | None:
    """The single comparison operator a rule uses (None for And/Or/Not or a malformed rule)."""
    found = [key for key in rule if key in COMPARISON_OPERATORS]
    return found[0] if len(found) == 1 else None


def matches(
    rule: Mapping[str, Any],
    data: Any,
    context: Any,
    variables: Mapping[str, Any] | None = None,
) -> bool:
    """Whether the choice rule (a boolean expression) holds for the state's input."""
    if "And" in rule:
        return all(matches(sub, data, context, variables) for sub in rule["And"])
    if "Or" in rule:
        return any(matches(sub, data, context, variables) for sub in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], data, context, variables)
    operator = operator_of(rule)
    variable = rule.get("Variable")
    if operator is None or not isinstance(variable, str):
        raise StatesError(RUNTIME, f"Invalid choice rule: {dict(rule)!r}")
    expected = rule[operator]
    if operator == "IsPresent":
        return paths.exists(data, variable, context=context, variables=variables) == bool(expected)
    value = _lookup(data, variable, context, variables)
    if operator in _TYPE_TESTS:
        return _TYPE_TESTS[operator](value) == bool(expected)
    if operator == "StringMatches":
        return (
            isinstance(value, str) and isinstance(expected, str) and string_matches(value, expected)
        )
    name = operator
    if name.endswith("Path"):
        expected = _lookup(data, expected, context, variables)
        name = name[: -len("Path")]
    kind = next(kind for kind in _KINDS if name.startswith(kind))
    order = _compare(kind, value, expected)
    return order is not None and _ORDERINGS[name[len(kind) :]](order)


def _lookup(data: Any, path: Any, context: Any, variables: Mapping[str, Any] | None) -> Any:
    try:
        return paths.get(data, path, context=context, variables=variables)
    except (PathNotFoundError, PathSyntaxError):
        raise StatesError(RUNTIME, causes.choice_path_invalid(str(path))) from None
