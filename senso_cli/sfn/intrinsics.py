"""Intrinsic functions (``States.Format(...)`` and friends): a parser and an evaluator.

An intrinsic call appears as the value of a ``.$`` field in a payload template, or in
``ErrorPath``/``CausePath`` of a Fail state. Arguments are string literals in single quotes,
numbers, ``true``/``false``/``null``, JSONPaths (``$.x``, ``$$.Execution.Id``, ``$var``) or nested
calls. Inside a string literal a backslash escapes ``'``, ``{``, ``}`` and ``\\`` and nothing else:
the specification reserves those four, and the service rejects the definition for any other
escape (``\"`` included). An escaped brace is a literal brace in a ``States.Format`` template
instead of a placeholder.

Every runtime failure raises ``StatesError("States.IntrinsicFailure", ...)`` as the Amazon
States Language specification names it; syntax errors raise ``PathSyntaxError``.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from senso_cli.sfn import paths
from senso_cli.sfn.errors import PathNotFoundError, PathSyntaxError
from senso_cli.sfn.functions import ARITY, FUNCTIONS, fail, format_value


@dataclass(frozen=True)
class Literal:
    value: Any
    # For string literals: the text split at unescaped "{}" so States.Format can tell them from
    # escaped braces; a single part for anything else.
    template_parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathArg:
    path: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Literal | PathArg | Call, ...]


Arg = Literal | PathArg | Call


def is_intrinsic(value: object) -> bool:
    return isinstance(value, str) and value.startswith("States.") and "(" in value


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> Call:
    """Parse one intrinsic function call; raises ``PathSyntaxError``."""
    parser = _Parser(text)
    call = parser.call()
    parser.skip_spaces()
    if parser.pos != len(text):
        raise PathSyntaxError(f"unexpected text after the call at {parser.pos} in {text!r}")
    return call


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(f"{message} at {self.pos} in intrinsic {self.text!r}")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        self.skip_spaces()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "._"
        ):
            self.pos += 1
        name = self.text[start : self.pos]
        if name not in FUNCTIONS:
            raise self.fail(f"unknown intrinsic function {name!r}")
        self.skip_spaces()
        if not self.text.startswith("(", self.pos):
            raise self.fail("expected '('")
        self.pos += 1
        args: list[Arg] = []
        self.skip_spaces()
        if self.text.startswith(")", self.pos):
            self.pos += 1
            return Call(name, ())
        while True:
            args.append(self.arg())
            self.skip_spaces()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith(")", self.pos):
                self.pos += 1
                return Call(name, tuple(args))
            else:
                raise self.fail("expected ',' or ')'")

    def arg(self) -> Arg:
        self.skip_spaces()
        rest = self.text[self.pos :]
        if rest.startswith("'"):
            return self.string()
        if rest.startswith("$"):
            return self.path()
        if rest.startswith("States."):
            return self.call()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if rest.startswith(word):
                self.pos += len(word)
                return Literal(value)
        return self.number()

    def string(self) -> Literal:
        self.pos += 1  # opening quote
        parts = [""]
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped not in ("'", "{", "}", "\\"):
                    raise self.fail(f"invalid escape sequence '\\{escaped}' in a string literal")
                parts[-1] += escaped
                self.pos += 2
            elif char == "'":
                self.pos += 1
                return Literal("{}".join(parts), tuple(parts))
            elif self.text.startswith("{}", self.pos):
                parts.append("")
                self.pos += 2
            else:
                parts[-1] += char
                self.pos += 1
        raise self.fail("unterminated string literal")

    def path(self) -> PathArg:
        start, depth, quote = self.pos, 0, ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"" and depth:
                quote = char
            elif char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif depth == 0 and (char in ",)" or char.isspace()):
                break
            self.pos += 1
        text = self.text[start : self.pos]
        paths.parse(text)  # fail early on a malformed path
        return PathArg(text)

    def number(self) -> Literal:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in "+-0123456789.eE":
            self.pos += 1
        try:
            return Literal(json.loads(self.text[start : self.pos]))
        except ValueError:
            self.pos = start
            raise self.fail("expected a string, number, path or call") from None


Variables = Mapping[str, Any] | None


def evaluate(
    text: str, data: Any, context: Any, rng: random.Random, variables: Variables = None
) -> Any:
    """Evaluate the intrinsic call ``text`` against the state's data, context and variables.

    A path argument that selects nothing raises ``PathNotFoundError`` with ``path`` and ``data``
    set, for the caller to word as the service does for the field it was evaluating.
    """
    return _eval(parse(text), data, context, rng, variables)


def _eval(node: Arg, data: Any, context: Any, rng: random.Random, variables: Variables) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        try:
            return paths.get(data, node.path, context=context, variables=variables)
        except PathNotFoundError as exc:
            exc.path = node.path
            exc.data = context if node.path.startswith("$$") else data
            raise
    if node.name == "States.Format":
        return _format(node, data, context, rng, variables)
    low, high = ARITY[node.name]
    if not low <= len(node.args) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise fail(node.name, f"takes {expected} arguments, {len(node.args)} given")
    args = [_eval(arg, data, context, rng, variables) for arg in node.args]
    return FUNCTIONS[node.name](rng, *args)


def _format(node: Call, data: Any, context: Any, rng: random.Random, variables: Variables) -> str:
    if not node.args:
        raise fail("States.Format", "the first argument must be a string template")
    template = node.args[0]
    if isinstance(template, Literal) and isinstance(template.value, str):
        parts = template.template_parts
    else:
        # A template read from a path or a variable: its "{}" are placeholders, as written.
        text = _eval(template, data, context, rng, variables)
        if not isinstance(text, str):
            raise fail("States.Format", "the first argument must be a string template")
        parts = tuple(text.split("{}"))
    values = [_eval(arg, data, context, rng, variables) for arg in node.args[1:]]
    if len(values) != len(parts) - 1:
        raise fail(
            "States.Format",
            f"the template has {len(parts) - 1} placeholders but {len(values)} arguments",
        )
    pieces = [parts[0]]
    for value, part in zip(values, parts[1:], strict=True):
        pieces.append(format_value(value))
        pieces.append(part)
    return "".join(pieces)
