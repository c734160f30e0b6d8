"""StepFunctions wrapper against moto, and Stubber where moto lacks the API."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from handlers.errors import InvalidInputError
from senso_cli.aws.errors import AwsNotFoundError, AwsThrottledError
from senso_cli.aws.stepfunctions import (
    StepFunctions,
    execution_arn_for,
    execution_name,
)
from senso_cli.aws.throttle import BackoffPolicy, call_with_backoff

REGION = "us-east-1"
SM_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-org-eval"
EXEC_ARN = "arn:aws:states:us-east-1:123456789012:execution:senso-org-eval:org-7-20250301-a1"
DAY = date(2025, 3, 1)


@pytest.fixture
def sfn(mocked_aws: None) -> StepFunctions:
    return StepFunctions(boto3.client("stepfunctions", region_name=REGION))


def test_start_then_describe_list_and_history(sfn: StepFunctions, state_machine_arn: str) -> None:
    name = execution_name(42, DAY)
    result = sfn.start_execution(state_machine_arn, name, json.dumps({"org_id": 42}))

    assert result.started is True
    assert result.execution_arn == execution_arn_for(state_machine_arn, name)
    described = sfn.describe_execution(result.execution_arn)
    assert (described.name, described.input) == (name, '{"org_id": 42}')
    assert described.state_machine_arn == state_machine_arn
    assert [e.name for e in sfn.list_executions(state_machine_arn, status="RUNNING")] == [name]
    assert sfn.list_executions(state_machine_arn, status="FAILED") == []
    history = sfn.get_execution_history(result.execution_arn)
    assert history[0]["type"] == "ExecutionStarted"
    assert [event["id"] for event in history] == sorted(event["id"] for event in history)


def test_second_start_with_the_same_name_reports_the_existing_execution(
    sfn: StepFunctions, state_machine_arn: str
) -> None:
    name = execution_name("acme", DAY)
    first = sfn.start_execution(state_machine_arn, name, '{"attempt": 1}')
    # A different input makes AWS (and moto) answer ExecutionAlreadyExists; an identical
    # input to a running execution is answered 200 with the same ARN.
    again = sfn.start_execution(state_machine_arn, name, '{"attempt": 2}')

    assert first.started is True
    assert again.started is False
    assert again.execution_arn == first.execution_arn
    assert len(sfn.list_executions(state_machine_arn)) == 1


def test_list_executions_since_stops_at_older_ones(
    sfn: StepFunctions, state_machine_arn: str
) -> None:
    for org in (1, 2, 3):
        sfn.start_execution(state_machine_arn, execution_name(org, DAY), "{}")
    everything = sfn.list_executions(state_machine_arn)
    cutoff = everything[1].start_date

    recent = sfn.list_executions(state_machine_arn, since=cutoff)

    assert [e.name for e in recent] == [e.name for e in everything[:2]]
    assert sfn.list_executions(state_machine_arn, since=datetime.now(UTC) + timedelta(1)) == []


def test_stop_and_update_state_machine(sfn: StepFunctions, state_machine_arn: str) -> None:
    started = sfn.start_execution(state_machine_arn, execution_name(5, DAY), "{}")
    sfn.stop_execution(started.execution_arn, error="Senso.Aborted", cause="operator")
    assert sfn.describe_execution(started.execution_arn).status == "ABORTED"

    definition = json.dumps({"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}})
    sfn.update_state_machine(state_machine_arn, definition=definition)
    client = boto3.client("stepfunctions", region_name=REGION)
    assert client.describe_state_machine(stateMachineArn=state_machine_arn)["definition"] == (
        definition
    )


def test_create_state_machine_returns_its_arn(sfn: StepFunctions) -> None:
    arn = sfn.create_state_machine(
        "other",
        json.dumps({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
        "arn:aws:iam::123456789012:role/senso-sfn",
    )
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:other"


def test_unknown_execution_is_not_found(sfn: StepFunctions, state_machine_arn: str) -> None:
    with pytest.raises(AwsNotFoundError, match="Execution Does Not Exist"):
        sfn.describe_execution(execution_arn_for(state_machine_arn, "nope"))


def test_redrive_and_task_callbacks_via_stubber(aws_env: None) -> None:
    # Stubber: moto 5.2 has no RedriveExecution, and task tokens only exist inside a running
    # callback state, so both are scripted here.
    client = boto3.client("stepfunctions", region_name=REGION)
    redrive_date = datetime(2025, 3, 1, 12, tzinfo=UTC)
    with Stubber(client) as stubber:
        stubber.add_response(
            "redrive_execution", {"redriveDate": redrive_date}, {"executionArn": EXEC_ARN}
        )
        stubber.add_response("send_task_success", {}, {"taskToken": "t1", "output": "{}"})
        stubber.add_response(
            "send_task_failure",
            {},
            {"taskToken": "t2", "error": "Senso.Transient", "cause": "db restart"},
        )
        stubber.add_response("send_task_heartbeat", {}, {"taskToken": "t3"})
        sfn = StepFunctions(client)

        assert sfn.redrive_execution(EXEC_ARN) == redrive_date
        sfn.send_task_success("t1", "{}")
        sfn.send_task_failure("t2", error="Senso.Transient", cause="db restart")
        sfn.send_task_heartbeat("t3")
        stubber.assert_no_pending_responses()


def test_throttled_start_is_retried_with_backoff(aws_env: None) -> None:
    # Stubber: moto never throttles. botocore's own retries are bypassed by Stubber, so the
    # two throttles reach our backoff exactly as they would after botocore gave up.
    client = boto3.client("stepfunctions", region_name=REGION)
    sleeps: list[float] = []
    params = {"stateMachineArn": SM_ARN, "name": "org-7-20250301-a1", "input": "{}"}
    with Stubber(client) as stubber:
        for _ in range(2):
            stubber.add_client_error(
                "start_execution",
                service_error_code="ThrottlingException",
                service_message="Rate exceeded",
                http_status_code=400,
                expected_params=params,
            )
        stubber.add_response(
            "start_execution",
            {"executionArn": EXEC_ARN, "startDate": datetime(2025, 3, 1, tzinfo=UTC)},
            params,
        )
        sfn = StepFunctions(client)
        result = call_with_backoff(
            lambda: sfn.start_execution(SM_ARN, "org-7-20250301-a1", "{}"),
            policy=BackoffPolicy(max_attempts=5, base_delay=0.5, max_delay=4.0),
            sleep=sleeps.append,
            rng=random.Random(7),
        )

    assert result.started is True
    assert result.execution_arn == EXEC_ARN
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5
    assert 0 <= sleeps[1] <= 1.0


def test_throttling_that_never_ends_raises_after_the_last_attempt(aws_env: None) -> None:
    client = boto3.client("stepfunctions", region_name=REGION)
    sleeps: list[float] = []
    with Stubber(client) as stubber:
        for _ in range(3):
            stubber.add_client_error("start_execution", service_error_code="ThrottlingException")
        sfn = StepFunctions(client)
        with pytest.raises(AwsThrottledError):
            call_with_backoff(
                lambda: sfn.start_execution(SM_ARN, "org-7-20250301-a1", "{}"),
                policy=BackoffPolicy(max_attempts=3),
                sleep=sleeps.append,
                rng=random.Random(1),
            )
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("org_id", "attempt", "expected"),
    [
        (42, 1, "org-42-20250301-a1"),
        ("acme-co", 3, "org-acme-co-20250301-a3"),
        ("org_7", 12, "org-org_7-20250301-a12"),
    ],
)
def test_execution_name_is_deterministic(org_id: str | int, attempt: int, expected: str) -> None:
    assert execution_name(org_id, DAY, attempt) == expected
    assert execution_name(org_id, DAY, attempt) == execution_name(org_id, DAY, attempt)


@pytest.mark.parametrize("org_id", ["a" * 200, "acme corp/eu:1", "ü" * 90, "x{y}[z]*?"])
def test_execution_name_stays_within_step_functions_limits(org_id: str) -> None:
    name = execution_name(org_id, DAY, 2)
    assert len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert name.endswith("-20250301-a2")
    # Cleaning must not make two orgs collide.
    assert name != execution_name(org_id + "x", DAY, 2)


def test_execution_name_rejects_bad_input() -> None:
    with pytest.raises(InvalidInputError, match="attempt must be 1 or more"):
        execution_name(1, DAY, 0)
    with pytest.raises(InvalidInputError, match="org id must not be empty"):
        execution_name("", DAY)


def test_execution_arn_for_plain_and_alias_arns() -> None:
    assert execution_arn_for(SM_ARN, "org-7-20250301-a1") == EXEC_ARN
    assert execution_arn_for(SM_ARN + ":live", "org-7-20250301-a1") == EXEC_ARN
    with pytest.raises(InvalidInputError, match="Not a state machine ARN"):
        execution_arn_for("arn:aws:lambda:us-east-1:123456789012:function:f", "x")
