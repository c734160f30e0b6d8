"""The IAM evaluator the coverage test relies on, against the rules AWS documents (IAM User
Guide, "Policy evaluation logic"; "IAM JSON policy elements: Condition operators")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.iam_eval import Request, arn_matches, evaluate, merge

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-prod-org-evaluation"
EXECUTIONS = "arn:aws:states:us-east-1:123456789012:execution:senso-prod-org-evaluation:*"
LOG_GROUP = "arn:aws:logs:us-east-1:1:log-group:/senso/h"
EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:senso-prod-org-evaluation:org-a1"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_nothing_is_allowed_by_default() -> None:
    verdict = evaluate(policy(), Request("states:StartExecution", MACHINE))
    assert verdict.decision == "implicit_deny"


def test_the_state_machine_arn_does_not_cover_its_executions() -> None:
    document = policy(allow(["states:StartExecution", "states:DescribeExecution"], MACHINE))
    assert evaluate(document, Request("states:StartExecution", MACHINE)).allowed
    assert not evaluate(document, Request("states:DescribeExecution", EXECUTION)).allowed
    document = merge(document, policy(allow("states:DescribeExecution", EXECUTIONS)))
    assert evaluate(document, Request("states:DescribeExecution", EXECUTION)).allowed


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("states:Describe*", "states:DescribeExecution", True),
        ("STATES:describeexecution", "states:DescribeExecution", True),  # case-insensitive
        ("states:Describe?xecution", "states:DescribeExecution", True),
        ("states:Describe", "states:DescribeExecution", False),
        ("ssm:*", "states:DescribeExecution", False),
        ("*", "states:DescribeExecution", True),
    ],
)
def test_action_wildcards(pattern: str, action: str, matches: bool) -> None:
    assert evaluate(policy(allow(pattern, "*")), Request(action, MACHINE)).allowed is matches


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        (EXECUTIONS, EXECUTION, True),
        ("arn:aws:states:*:123456789012:execution:senso-prod-*", EXECUTION, True),
        ("arn:aws:states:us-east-1:123456789012:execution:other:*", EXECUTION, False),
        # ARNs are case-sensitive.
        (EXECUTIONS.replace("senso-prod", "SENSO-PROD"), EXECUTION, False),
        # A wildcard in the resource segment spans ":" and "/".
        ("arn:aws:logs:us-east-1:1:log-group:/senso/*", f"{LOG_GROUP}:log-stream:s", True),
        # ... but not across the account segment.
        ("arn:aws:ssm:us-east-1:1:*", "arn:aws:ssm:us-east-1:2:parameter/x", False),
        ("*", "*", True),
        (MACHINE, "*", False),
    ],
)  # fmt: skip
def test_resource_matching(pattern: str, arn: str, matches: bool) -> None:
    assert arn_matches(pattern, arn) is matches


def test_an_explicit_deny_wins_over_any_allow() -> None:
    document = policy(
        allow("states:*", "*"),
        {
            "Sid": "NoRedrive",
            "Effect": "Deny",
            "Action": "states:RedriveExecution",
            "Resource": "*",
        },
    )
    verdict = evaluate(document, Request("states:RedriveExecution", EXECUTION))
    assert verdict.decision == "explicit_deny" and verdict.statement == "NoRedrive"
    assert evaluate(document, Request("states:StopExecution", EXECUTION)).allowed


def test_not_action_and_not_resource() -> None:
    document = policy(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "NotResource": MACHINE},
    )
    assert evaluate(document, Request("states:StartExecution", MACHINE)).allowed
    assert not evaluate(document, Request("iam:PassRole", MACHINE)).allowed
    assert evaluate(document, Request("states:DescribeExecution", EXECUTION)).decision == (
        "explicit_deny"
    )


CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/senso-prod"
FAMILY = "arn:aws:ecs:us-east-1:123456789012:task-definition/senso-prod-step-handler:*"
REVISION = "arn:aws:ecs:us-east-1:123456789012:task-definition/senso-prod-step-handler:7"


def test_conditions_must_all_hold_and_a_missing_key_fails_them() -> None:
    document = policy(
        allow("ecs:RunTask", FAMILY, Condition={"ArnEquals": {"ecs:cluster": CLUSTER}})
    )
    assert evaluate(document, Request("ecs:RunTask", REVISION, {"ecs:cluster": CLUSTER})).allowed
    other = CLUSTER.replace("prod", "dev")
    assert not evaluate(document, Request("ecs:RunTask", REVISION, {"ecs:cluster": other})).allowed
    assert not evaluate(document, Request("ecs:RunTask", REVISION)).allowed  # key absent


def test_values_of_one_key_are_ored_and_ifexists_and_negation_pass_a_missing_key() -> None:
    document = policy(
        allow(
            "iam:PassRole",
            "*",
            Condition={"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "x"]}},
        )
    )
    assert evaluate(
        document, Request("iam:PassRole", "*", {"iam:PassedToService": "ecs-tasks.amazonaws.com"})
    ).allowed
    lenient = policy(
        allow("kms:Decrypt", "*", Condition={"StringEqualsIfExists": {"kms:ViaService": "a"}}),
        allow("kms:Encrypt", "*", Condition={"StringNotEquals": {"kms:ViaService": "a"}}),
    )
    assert evaluate(lenient, Request("kms:Decrypt", "*")).allowed
    assert evaluate(lenient, Request("kms:Encrypt", "*")).allowed
    assert not evaluate(lenient, Request("kms:Encrypt", "*", {"kms:ViaService": "a"})).allowed


def test_an_operator_it_does_not_implement_is_an_error_not_a_pass() -> None:
    document = policy(
        allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    )
    with pytest.raises(NotImplementedError):
        evaluate(document, Request("s3:GetObject", "*", {"aws:SourceIp": "10.1.2.3"}))
