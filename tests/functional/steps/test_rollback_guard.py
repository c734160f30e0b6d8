"""RollbackGuard against moto: rolls back on a bad night, leaves a good one alone, idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handlers.db.database import Database
from handlers.steps.base import StepContext, get_step
from handlers.steps.rollback_guard import GuardServices
from senso_cli.migration.rollout_state import RolloutChange

PARAMETER = "/senso/test/rollout"
PASS_MACHINE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
FAIL_MACHINE = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any]]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", "us-east-1"), boto3.client("ssm", "us-east-1")


def _machine(sfn: Any, failing: int, passing: int) -> str:
    role = "arn:aws:iam::123456789012:role/sfn"
    arn = sfn.create_state_machine(
        name="guard", definition=json.dumps(FAIL_MACHINE), roleArn=role
    )["stateMachineArn"]
    for i in range(failing):
        sfn.start_execution(stateMachineArn=arn, name=f"f{i}", input="{}")
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_MACHINE))
    for i in range(passing):
        sfn.start_execution(stateMachineArn=arn, name=f"p{i}", input="{}")
    return arn


def _run(db: Database, services: GuardServices, **payload: Any) -> dict[str, Any]:
    step = get_step("RollbackGuard")
    return step.invoke(StepContext(db=db, deps=services), payload)


def _wait_done(sfn: Any, arn: str) -> None:
    import time

    for _ in range(200):
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        if not running:
            return
        time.sleep(0.02)


def test_guard_rolls_back_a_bad_night_once(db: Database, aws: tuple[Any, Any]) -> None:
    sfn, ssm = aws
    ssm.put_parameter(Name=PARAMETER, Value=json.dumps({"percent": 50, "salt": "s"}), Type="String")
    arn = _machine(sfn, failing=6, passing=6)
    _wait_done(sfn, arn)
    services = GuardServices(sfn, ssm, arn, PARAMETER)
    first = _run(db, services, min_executions=5)
    assert first["rolled_back"] and first["previous_percent"] == 50
    state = json.loads(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])
    assert state["percent"] == 0 and state["salt"] == "s"
    assert state["updated_by"] == "rollback-guard"
    # A whole rollback change, as `senso rollout status` reads it from the parameter history.
    change = RolloutChange.model_validate(state)
    assert change.kind == "rollback" and change.previous_percent == 50 and change.reason
    second = _run(db, services, min_executions=5)
    assert not second["rolled_back"] and second["reason"] == "already at 0%"


def test_guard_leaves_a_good_night_alone(db: Database, aws: tuple[Any, Any]) -> None:
    sfn, ssm = aws
    ssm.put_parameter(Name=PARAMETER, Value=json.dumps({"percent": 50}), Type="String")
    arn = _machine(sfn, failing=1, passing=9)
    _wait_done(sfn, arn)
    result = _run(db, GuardServices(sfn, ssm, arn, PARAMETER), min_executions=5)
    assert not result["rolled_back"]
    assert json.loads(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"])["percent"] == 50
