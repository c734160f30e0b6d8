"""A small IAM policy evaluator for identity policies, as AWS documents the logic.

From the IAM User Guide ("Policy evaluation logic", "The difference between explicit and
implicit denies"):

* a request is denied by default (implicit deny);
* a statement applies when its Action (or NotAction), Resource (or NotResource) and every
  Condition match the request;
* an applicable Deny wins over any Allow (explicit deny); otherwise one applicable Allow allows.

Matching rules: action names are case-insensitive with `*`/`?` wildcards; ARNs are
case-sensitive, matched segment by segment (partition, service, region, account, resource) with
`*`/`?` wildcards, where the resource segment's wildcards may span `/` and `:`. Conditions: the
blocks are ANDed, keys within a block ANDed, values of one key ORed. Only the operators this
stack uses are implemented; any other raises, so an unknown condition is never silently passed.
Single-valued keys only (no ForAnyValue/ForAllValues).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allowed", "explicit_deny", "implicit_deny"]


@dataclass(frozen=True)
class Request:
    action: str  # "states:DescribeExecution"
    resource: str  # an ARN, or "*" for actions without resource-level permissions
    context: Mapping[str, str] = field(default_factory=dict)  # condition keys, e.g. ecs:cluster


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    statement: str | None = None  # Sid (or index) of the deciding statement, if any

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | bool | int) else list(value)


@lru_cache(maxsize=1024)
def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case=ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _like(pattern, action, ignore_case=True)


def arn_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    if arn == "*":
        # A request on "all resources" is only covered by a statement on all resources.
        return False
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(_like(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _string_test(operator: str, expected: str, actual: str) -> bool:
    if operator == "StringEquals":
        return actual == expected
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == expected.lower()
    if operator == "StringLike":
        return _like(expected, actual)
    if operator in ("ArnEquals", "ArnLike"):
        return arn_matches(expected, actual)
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    raise NotImplementedError(f"condition operator {operator!r} is not implemented here")


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_matches(operator: str, key: str, values: Any, context: Mapping[str, str]) -> bool:
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        raise NotImplementedError(f"multi-valued condition {operator!r} is not implemented here")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in _NEGATED
    positive = _NEGATED.get(base, base)
    # Condition keys are case-insensitive; values are compared as the operator says.
    actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
    if actual is None:
        # A missing key: false for positive operators, true for negated ones and ...IfExists.
        _string_test(positive, "", "")  # still reject operators we do not implement
        return if_exists or negated
    hit = any(_string_test(positive, str(expected), actual) for expected in _as_list(values))
    return not hit if negated else hit


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    elif not any(action_matches(p, request.action) for p in _as_list(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(arn_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    elif not any(arn_matches(p, request.resource) for p in _as_list(statement.get("Resource"))):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        for key, values in block.items():
            if not condition_matches(operator, key, values, request.context):
                return False
    return True


def evaluate(document: Mapping[str, Any], request: Request) -> Verdict:
    """The decision of one identity policy document (or several merged) on one request."""
    allow: str | None = None
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        if not statement_applies(statement, request):
            continue
        sid = str(statement.get("Sid") or index)
        if statement.get("Effect") == "Deny":
            return Verdict("explicit_deny", sid)
        if statement.get("Effect") == "Allow" and allow is None:
            allow = sid
    return Verdict("allowed", allow) if allow is not None else Verdict("implicit_deny")


def merge(*documents: Mapping[str, Any]) -> dict[str, Any]:
    """Several policies of one role evaluate as the union of their statements."""
    statements: list[Any] = []
    for document in documents:
        statements += _as_list(document.get("Statement"))
    return {"Version": "2012-10-17", "Statement": statements}
