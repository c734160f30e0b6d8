"""The JSONPath subset the Amazon States Language uses, and writing through reference paths.

Supported syntax: ``$`` (root), ``.name`` and ``['name']`` (member), ``[0]`` / ``[-1]`` (index),
``[*]`` / ``.*`` (wildcard), ``[1:3]`` (slice), ``..name`` (recursive descent) and ``[?(...)]``
(filter, see ``filters``). ``$$`` selects from the context object instead of the state's input,
and ``$name`` from the workflow variable ``name``.

A *definite* path (members and indexes only, what the spec calls a Reference Path) selects one
value and fails when it is missing; any other path selects a list of every match, possibly
empty, as AWS's Jayway-based evaluator does (``$.a[*].b`` is a list, ``$.a[0].b`` a value).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from senso_cli.sfn import causes, filters
from senso_cli.sfn.errors import PathNotFoundError, PathSyntaxError


@dataclass(frozen=True)
class Member:
    name: str


@dataclass(frozen=True)
class Index:
    position: int


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Slice:
    start: int | None
    stop: int | None


@dataclass(frozen=True)
class Descend:
    """``..name``: every value under ``name`` at any depth (``name`` None means ``..*``)."""

    name: str | None


@dataclass(frozen=True)
class Filter:
    expr: filters.Expr


Step = Member | Index | Wildcard | Slice | Descend | Filter


@dataclass(frozen=True)
class Path:
    text: str
    context: bool  # True for ``$$`` paths, which read the context object
    steps: tuple[Step, ...]
    variable: str | None = None  # ``$name...`` paths read the workflow variable ``name``
    # Members and indexes only (a Reference Path): selects one value. Set by ``parse``.
    definite: bool = True


# Member names end at the next ``.`` or ``[``; AWS accepts most other characters in them.
_NAME = re.compile(r"[^.\[\]]+")
_INDEX = re.compile(r"\[\s*(-?\d+)\s*\]")
_SLICE = re.compile(r"\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\]")
_QUOTED = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")
_STAR = re.compile(r"\[\s*\*\s*\]")
_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def is_path(value: object) -> bool:
    """Whether a string looks like a path (``$...``), the test the spec uses for ``.$`` fields."""
    return isinstance(value, str) and value.startswith("$")


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Path:
    """Parse ``text`` into a ``Path``; raises ``PathSyntaxError``."""
    if not text.startswith("$"):
        raise PathSyntaxError(f"a path must start with '$': {text!r}")
    context = text.startswith("$$")
    pos = 2 if context else 1
    variable = None
    if not context and (named := _VARIABLE.match(text)):
        variable, pos = named.group(1), named.end()
    steps: list[Step] = []
    while pos < len(text):
        pos = _parse_step(text, pos, steps)
    definite = all(isinstance(step, Member | Index) for step in steps)
    return Path(text, context, tuple(steps), variable, definite)


def _filter_end(text: str, pos: int) -> int:
    """The index just past the ``)]`` closing the filter that starts at ``pos`` (``[?(``)."""
    depth, quote, index = 0, "", pos + 2
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                rest = text[index + 1 :].lstrip()
                if rest.startswith("]"):
                    return len(text) - len(rest) + 1
        index += 1
    raise PathSyntaxError(f"unterminated filter at {pos} in {text!r}")


def _parse_step(text: str, pos: int, steps: list[Step]) -> int:
    if text.startswith("..", pos):
        if text.startswith("*", pos + 2):
            steps.append(Descend(None))
            return pos + 3
        name = _NAME.match(text, pos + 2)
        if name is None:
            raise PathSyntaxError(f"expected a name after '..' at {pos} in {text!r}")
        steps.append(Descend(name.group()))
        return name.end()
    if text.startswith(".", pos):
        if text.startswith("*", pos + 1):
            steps.append(Wildcard())
            return pos + 2
        name = _NAME.match(text, pos + 1)
        if name is None:
            raise PathSyntaxError(f"expected a name after '.' at {pos} in {text!r}")
        steps.append(Member(name.group()))
        return name.end()
    if text.startswith("[?(", pos):
        end = _filter_end(text, pos)
        inside = text[pos + 2 : end].rstrip()[:-1].rstrip()  # drop "[?" and "]"
        steps.append(Filter(filters.parse(inside[1:-1])))  # drop the outer "(...)"
        return end
    if text.startswith("[", pos):
        if match := _INDEX.match(text, pos):
            steps.append(Index(int(match.group(1))))
        elif match := _STAR.match(text, pos):
            steps.append(Wildcard())
        elif match := _SLICE.match(text, pos):
            start, stop = match.group(1), match.group(2)
            steps.append(Slice(int(start) if start else None, int(stop) if stop else None))
        elif match := _QUOTED.match(text, pos):
            quote = "'" if match.group(1) is not None else '"'
            raw = match.group(1) if match.group(1) is not None else match.group(2)
            steps.append(Member(_unescape(raw, quote)))
        else:
            raise PathSyntaxError(f"unsupported bracket expression at {pos} in {text!r}")
        return match.end()
    raise PathSyntaxError(f"unexpected character {text[pos]!r} at {pos} in {text!r}")


class VariableNotFoundError(PathNotFoundError):
    """A ``$name`` path naming a variable that was never assigned in scope."""


def _unescape(raw: str, quote: str) -> str:
    """A quoted bracket name as Jayway reads it: a backslash escapes the enclosing quote and
    itself; before any other character it stays (``$['a\\"b']`` names the key ``a\\"b``, as
    recorded on the service)."""
    out, index = [], 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw) and raw[index + 1] in (quote, "\\"):
            out.append(raw[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def get(
    data: Any,
    path: str | Path,
    *,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
) -> Any:
    """The value ``path`` selects in ``data`` (``context`` for ``$$``, a variable for ``$name``).

    Raises ``PathNotFoundError`` when a definite path selects nothing; its message is the reason
    AWS gives ("No results for path: $['a']['b']", "Missing property in path $['a']").
    """
    parsed = parse(path) if isinstance(path, str) else path
    if parsed.variable is not None:
        if variables is None or parsed.variable not in variables:
            raise VariableNotFoundError(causes.variable_not_found(parsed.variable))
        root = variables[parsed.variable]
    else:
        root = context if parsed.context else data
    nodes = [root]
    for index, step in enumerate(parsed.steps):
        nodes = _apply(step, nodes, root)
        if parsed.definite and not nodes:
            if index == len(parsed.steps) - 1:
                raise PathNotFoundError(causes.no_results(bracketed(parsed.steps)))
            raise PathNotFoundError(causes.missing_property(bracketed(parsed.steps[: index + 1])))
    return nodes[0] if parsed.definite else nodes


def bracketed(steps: tuple[Step, ...]) -> str:
    """A definite path as Jayway prints it: ``$['a'][0]['b']``."""
    parts = [
        f"['{step.name}']" if isinstance(step, Member) else f"[{step.position}]"
        for step in steps
        if isinstance(step, Member | Index)
    ]
    return "$" + "".join(parts)


def exists(
    data: Any,
    path: str | Path,
    *,
    context: Any = None,
    variables: Mapping[str, Any] | None = None,
) -> bool:
    """Whether a definite path selects a value (an indefinite path always "exists")."""
    try:
        get(data, path, context=context, variables=variables)
    except PathNotFoundError:
        return False
    return True


def _relative(node: Any, text: str) -> Any:
    """``@.a.b`` inside a filter: the value at that path under ``node``, or ``filters.MISSING``."""
    try:
        found = get(node, text)
    except (PathNotFoundError, PathSyntaxError):
        return filters.MISSING
    return found


def _apply(step: Step, nodes: list[Any], root: Any) -> list[Any]:
    selected: list[Any] = []
    if isinstance(step, Filter):
        for node in nodes:
            candidates = node.values() if isinstance(node, Mapping) else node
            if isinstance(node, Mapping | list):
                selected.extend(
                    item for item in candidates if filters.holds(step.expr, item, root, _relative)
                )
        return selected
    for node in nodes:
        if isinstance(step, Member):
            if isinstance(node, Mapping) and step.name in node:
                selected.append(node[step.name])
        elif isinstance(step, Index):
            if isinstance(node, list) and -len(node) <= step.position < len(node):
                selected.append(node[step.position])
        elif isinstance(step, Wildcard):
            selected.extend(_children(node))
        elif isinstance(step, Slice):
            if isinstance(node, list):
                selected.extend(node[step.start : step.stop])
        else:
            _descend(node, step.name, selected)
    return selected


def _children(node: Any) -> list[Any]:
    if isinstance(node, Mapping):
        return list(node.values())
    if isinstance(node, list):
        return list(node)
    return []


def _descend(node: Any, name: str | None, found: list[Any]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if name is None or key == name:
                found.append(value)
    for child in _children(node):
        _descend(child, name, found)


def set_at(data: Any, path: str | Path, value: Any) -> Any:
    """A copy of ``data`` with ``value`` written at the reference path ``path`` (ResultPath).

    Missing objects along the way are created. Only the containers on the path are copied: the
    interpreter never mutates JSON values in place, so sharing the rest is safe. Raises
    ``PathNotFoundError`` when the path runs through something that is not an object (or an
    array index that does not exist), and ``PathSyntaxError`` for a non-reference path.
    """
    parsed = parse(path) if isinstance(path, str) else path
    if parsed.context or parsed.variable is not None or not parsed.definite:
        raise PathSyntaxError(f"{parsed.text!r} is not a reference path into the input")
    return _set(data, parsed.steps, value, parsed.text)


def _set(node: Any, steps: tuple[Step, ...], value: Any, text: str) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, Member):
        if not isinstance(node, Mapping):
            raise PathNotFoundError(causes.missing_property(f"$['{step.name}']"))
        copy = dict(node)
        copy[step.name] = _set(node.get(step.name, {}) if rest else None, rest, value, text)
        return copy
    assert isinstance(step, Index)  # definite paths hold members and indexes only
    if not isinstance(node, list) or not -len(node) <= step.position < len(node):
        raise PathNotFoundError(f"cannot write {text!r}: index {step.position} does not exist")
    items = list(node)
    items[step.position] = _set(node[step.position], rest, value, text)
    return items


def _kind(node: Any) -> str:
    return "null" if node is None else type(node).__name__
