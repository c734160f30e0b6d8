"""What "least privilege" means for this stack's IAM documents, as checkable rules.

No statement may allow every action ("*") or every action of a service ("ecs:*"), and
`Resource: "*"` is allowed only for the actions below, which AWS does not let you scope.
Key policies are different: there "*" is the key itself, so they are checked for wildcard
actions and wildcard principals instead.
"""

from __future__ import annotations

from typing import Any

# Actions that have no resource-level permissions, so AWS requires Resource "*".
RESOURCE_STAR_ALLOWED = frozenset(
    {
        # ECR: the registry login token is account-wide.
        "ecr:GetAuthorizationToken",
        # CloudWatch Logs vended delivery, used by Step Functions execution logging.
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        # X-Ray tracing of executions.
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    }
)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str | dict) else list(value)


def _is_wildcard_principal(principal: Any) -> bool:
    return principal == "*" or (
        isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
    )


def _wildcard_actions(statement: dict[str, Any]) -> list[str]:
    if "NotAction" in statement:
        return ["NotAction"]
    return [a for a in _as_list(statement.get("Action")) if "*" in a]


def iam_violations(name: str, document: dict[str, Any]) -> list[str]:
    """Problems with one identity or trust policy document, as readable strings."""
    problems: list[str] = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        where = f"{name} statement {statement.get('Sid', index)}"
        if statement.get("Effect") != "Allow":
            continue
        for action in _wildcard_actions(statement):
            problems.append(f"{where}: wildcard action {action!r}")
        if "NotResource" in statement:
            problems.append(f"{where}: NotResource")
        if "*" in _as_list(statement.get("Resource")):
            unscopable = set(_as_list(statement.get("Action"))) - RESOURCE_STAR_ALLOWED
            if unscopable:
                problems.append(f"{where}: Resource '*' for {sorted(unscopable)}")
        if _is_wildcard_principal(statement.get("Principal")):
            problems.append(f"{where}: wildcard principal")
    return problems


def key_policy_violations(name: str, document: dict[str, Any]) -> list[str]:
    """Problems with a KMS key policy (where Resource "*" means the key itself)."""
    problems: list[str] = []
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        where = f"{name} statement {statement.get('Sid', index)}"
        for action in _wildcard_actions(statement):
            problems.append(f"{where}: wildcard action {action!r}")
        if _is_wildcard_principal(statement.get("Principal")):
            problems.append(f"{where}: wildcard principal")
    return problems
