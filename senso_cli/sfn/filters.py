"""JSONPath filter expressions (``$.users[?(@.status == 0)]``) as AWS's Jayway evaluator reads them.

Grammar (the part of Jayway's that state machines use)::

    expr    := or
    or      := and ('||' and)*
    and     := unary ('&&' unary)*
    unary   := '!' unary | '(' expr ')' | compare
    compare := operand (OP operand)?          OP: == != < <= > >= =~
    operand := '@' steps | '$' steps | 'string' | "string" | number | true | false | null
               | '[' literal, ... ']'  (for ``in`` / ``nin``)

Semantics that differ from Python's: comparing values of different JSON types is false (never an
error, and ``1 == true`` is false); ``<``/``>`` compare numbers with numbers and strings with
strings only; a bare ``@.x`` tests that ``x`` exists (is not missing), whatever its value.

``jsonpath-ng``'s extended parser was considered and not used: it compares with Python's rules
(``True == 1``), accepts no ``in``/``nin``, and rejects Jayway's ``$['a']`` inside filters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from senso_cli.sfn.errors import PathSyntaxError

MISSING: Any = object()


@dataclass(frozen=True)
class Operand:
    kind: str  # "current" (@...), "root" ($...), "literal"
    value: Any  # the relative path text for current/root, the value for a literal


@dataclass(frozen=True)
class Compare:
    left: Operand
    op: str | None  # None: an existence test of ``left``
    right: Operand | None


@dataclass(frozen=True)
class Not:
    inner: Expr


@dataclass(frozen=True)
class Both:
    op: str  # "&&" or "||"
    left: Expr
    right: Expr


Expr = Compare | Not | Both

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<op>==|!=|<=|>=|=~|<|>|&&|\|\||!|\(|\)|\b(?:in|nin)\b)
      | (?P<path>[@$](?:\.\.?[A-Za-z_*][\w-]*|\.?\[[^\]]*\])*)
      | (?P<word>true|false|null)
      | (?P<list>\[[^\]]*\])
      | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    )""",
    re.VERBOSE,
)


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Expr:
    """Parse the inside of ``[?( ... )]``; raises ``PathSyntaxError``."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PathSyntaxError(f"cannot parse the filter {text!r} at {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind).strip()))
        pos = match.end()
    parser = _Parser(tokens, text)
    expr = parser.or_expr()
    if parser.pos != len(tokens):
        raise PathSyntaxError(f"unexpected {tokens[parser.pos][1]!r} in the filter {text!r}")
    return expr


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise PathSyntaxError(f"the filter {self.text!r} ends too early")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self.peek() == "||":
            self.take()
            left = Both("||", left, self.and_expr())
        return left

    def and_expr(self) -> Expr:
        left = self.unary()
        while self.peek() == "&&":
            self.take()
            left = Both("&&", left, self.unary())
        return left

    def unary(self) -> Expr:
        if self.peek() == "!":
            self.take()
            return Not(self.unary())
        if self.peek() == "(":
            self.take()
            inner = self.or_expr()
            if self.take()[1] != ")":
                raise PathSyntaxError(f"expected ')' in the filter {self.text!r}")
            return inner
        left = self.operand()
        if self.peek() in ("==", "!=", "<", "<=", ">", ">=", "=~", "in", "nin"):
            op = self.take()[1]
            return Compare(left, op, self.operand())
        return Compare(left, None, None)

    def operand(self) -> Operand:
        kind, text = self.take()
        if kind == "path":
            return Operand("current" if text.startswith("@") else "root", "$" + text[1:])
        if kind == "string":
            return Operand("literal", re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "number":
            number = float(text)
            return Operand(
                "literal", int(number) if number.is_integer() and "." not in text else number
            )
        if kind == "word":
            return Operand("literal", {"true": True, "false": False, "null": None}[text])
        if kind == "list":
            return Operand("literal", _list_literal(text))
        if kind == "regex":
            return Operand("regex", text)
        raise PathSyntaxError(f"unexpected {text!r} in the filter {self.text!r}")


def _list_literal(text: str) -> list[Any]:
    items: list[Any] = []
    for raw in text[1:-1].split(","):
        raw = raw.strip()
        if not raw:
            continue
        if raw[0] in "'\"":
            items.append(raw[1:-1])
        else:
            word = {"true": True, "false": False, "null": None}
            items.append(word[raw] if raw in word else float(raw) if "." in raw else int(raw))
    return items


Resolver = Callable[[Any, str], Any]  # (node, "$.a.b") -> value or MISSING


def holds(expr: Expr, node: Any, root: Any, resolve: Resolver) -> bool:
    """Whether the filter ``expr`` holds for the candidate ``node``."""
    if isinstance(expr, Both):
        if expr.op == "&&":
            return holds(expr.left, node, root, resolve) and holds(expr.right, node, root, resolve)
        return holds(expr.left, node, root, resolve) or holds(expr.right, node, root, resolve)
    if isinstance(expr, Not):
        return not holds(expr.inner, node, root, resolve)
    left = _value(expr.left, node, root, resolve)
    if expr.op is None or expr.right is None:
        return left is not MISSING
    if expr.right.kind == "regex":
        return isinstance(left, str) and _regex(expr.right.value).search(left) is not None
    right = _value(expr.right, node, root, resolve)
    if left is MISSING or right is MISSING:
        return expr.op == "!=" and not (left is MISSING and right is MISSING)
    return _COMPARE[expr.op](left, right)


def _value(operand: Operand, node: Any, root: Any, resolve: Resolver) -> Any:
    if operand.kind == "literal":
        return operand.value
    return resolve(node if operand.kind == "current" else root, operand.value)


@functools.lru_cache(maxsize=128)
def _regex(text: str) -> re.Pattern[str]:
    body, flags = text[1 : text.rindex("/")], text[text.rindex("/") + 1 :]
    return re.compile(body, re.IGNORECASE if "i" in flags else 0)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _number(left) and _number(right):
        return bool(left == right)
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _same(a, b) for a, b in zip(left, right, strict=True)
        )
    return type(left) is type(right) and bool(left == right)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        if _number(left) and _number(right):
            return test(left, right)
        if isinstance(left, str) and isinstance(right, str):
            return test(left, right)
        return False

    return compare


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": _same,
    "!=": lambda left, right: not _same(left, right),
    "<": _ordered(lambda a, b: a < b),
    "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b),
    ">=": _ordered(lambda a, b: a >= b),
    "in": lambda left, right: isinstance(right, list) and any(_same(left, x) for x in right),
    "nin": lambda left, right: isinstance(right, list) and not any(_same(left, x) for x in right),
}
