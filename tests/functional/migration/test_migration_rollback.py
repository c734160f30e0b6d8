"""Rollback: idempotent, reverses each change, locally and against moto's AWS."""

from __future__ import annotations

import json

import boto3
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.aws.scheduler import Schedules
from senso_cli.aws.ssm import Parameters
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.migration.rollout_state import (
    ChangeRequest,
    PostgresRolloutStore,
    SsmRolloutStore,
)
from senso_cli.services.rollback import RollbackNames, rollback

STATE_MACHINE = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


def make_schedule(name: str, state: str) -> None:
    boto3.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression="cron(0 2 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:senso-org-eval",
            "RoleArn": "arn:aws:iam::123456789012:role/senso-scheduler",
        },
        State=state,
    )


def statuses(checklist: object) -> list[str]:
    return [item.status for item in checklist.items]  # type: ignore[attr-defined]


def test_local_rollback_is_idempotent(db: Database) -> None:
    store = PostgresRolloutStore(db)
    store.record(ChangeRequest(percent=50, updated_by="a", reason="x"), expected_percent=0)
    first = rollback(store, None, RollbackNames(), None, False, actor="ops")
    assert statuses(first) == ["changed", "not configured", "not configured", "skipped"]
    assert first.items[0].detail == "50% -> 0% (PostgreSQL (local))"
    assert first.items[1].detail == "not configured (local)"
    assert first.changed and first.ok
    state = store.load()
    assert state.percent == 0 and state.history[-1].kind == "rollback"
    second = rollback(store, None, RollbackNames(), None, True, actor="ops")
    assert not second.changed and second.ok
    assert second.items[0].status == "unchanged" and "already 0%" in second.items[0].detail
    assert second.items[3].detail == "not configured (local)"
    assert len(store.load().history) == 2


def test_aws_rollback_reverses_each_change_then_changes_nothing(mocked_aws: None) -> None:
    make_schedule("senso-dispatcher", "ENABLED")
    make_schedule("inngest-daily", "DISABLED")
    sfn_client = boto3.client("stepfunctions")
    arn = sfn_client.create_state_machine(
        name="senso-org-eval",
        definition=STATE_MACHINE,
        roleArn="arn:aws:iam::123456789012:role/senso-sfn",
    )["stateMachineArn"]
    running = sfn_client.start_execution(stateMachineArn=arn, name="org-1-20250301-a1")
    store = SsmRolloutStore(Parameters(boto3.client("ssm")), "/senso/prod/rollout")
    store.record(ChangeRequest(percent=100, updated_by="a"), expected_percent=0)
    schedules = Schedules(boto3.client("scheduler"))
    names = RollbackNames("senso-dispatcher", "inngest-daily", state_machine_arn=arn)
    sfn = StepFunctions(sfn_client)

    first = rollback(store, schedules, names, sfn, True, actor="ops", reason="INC-7")
    assert statuses(first) == ["changed"] * 4, first.items
    assert [item.detail for item in first.items[1:]] == [
        "senso-dispatcher: ENABLED -> DISABLED",
        "inngest-daily: DISABLED -> ENABLED",
        "stopped 1 executions",
    ]
    assert schedules.get("senso-dispatcher").state == "DISABLED"
    assert schedules.get("inngest-daily").state == "ENABLED"
    stopped = sfn_client.describe_execution(executionArn=running["executionArn"])
    assert stopped["status"] == "ABORTED"
    assert store.load().percent == 0 and store.load().reason == "INC-7"

    second = rollback(store, schedules, names, sfn, True, actor="ops")
    assert statuses(second) == ["unchanged"] * 4, second.items
    assert not second.changed and second.ok
    assert len(store.load().history) == 2


def test_a_failing_step_does_not_stop_the_others(mocked_aws: None, db: Database) -> None:
    make_schedule("inngest-daily", "DISABLED")
    store = PostgresRolloutStore(db)
    store.record(ChangeRequest(percent=10, updated_by="a"), expected_percent=0)
    names = RollbackNames("no-such-schedule", "inngest-daily")
    checklist = rollback(store, Schedules(boto3.client("scheduler")), names, None, False, actor="o")
    assert statuses(checklist) == ["changed", "failed", "changed", "skipped"]
    assert "scheduler:GetSchedule failed" in checklist.items[1].detail
    assert not checklist.ok and store.load().percent == 0


def test_cli_rollback(cli_env: Database, runner: CliRunner, cli: typer.Typer) -> None:
    PostgresRolloutStore(cli_env).record(
        ChangeRequest(percent=30, updated_by="a"), expected_percent=0
    )
    declined = runner.invoke(cli, ["rollback"], input="n\n")
    assert declined.exit_code == 1 and PostgresRolloutStore(cli_env).load().percent == 30
    first = runner.invoke(cli, ["rollback", "--yes"])
    assert first.exit_code == 0, first.output
    assert "changed  rollout percentage to 0: 30% -> 0%" in first.output
    assert "not configured (local)" in first.output and "rolled back" in first.output
    second = runner.invoke(cli, ["rollback", "--yes", "--abort-running", "--json"])
    data = json.loads(second.output)
    assert data["changed"] is False and data["ok"] is True
    assert [item["status"] for item in data["items"]] == [
        "unchanged",
        "not configured",
        "not configured",
        "not configured",
    ]
