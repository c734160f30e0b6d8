"""`senso redrive --env test` for each way an execution can end (senso_cli/services/redrive.py).

* FAILED: the execution ended in WorkflowFailed (every Task catches into MarkBatchFailed), so
  RedriveExecution would only fail again; a new attempt is started instead. moto has
  StartExecution and DescribeExecution, so this runs against moto.
* TIMED_OUT and ABORTED: RedriveExecution resumes the step that was running. moto has no
  RedriveExecution, so the client is a botocore Stubber with AWS's documented shapes:
  DescribeExecution returns `status` TIMED_OUT/ABORTED with `redriveStatus` REDRIVABLE, and
  RedriveExecution answers `{"redriveDate": <timestamp>}` (Step Functions API Reference,
  DescribeExecution and RedriveExecution). A RUNNING or SUCCEEDED execution is refused before
  any call that would change it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import typer
from botocore.config import Config
from botocore.stub import Stubber
from moto.stepfunctions.models import stepfunctions_backends
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.aws.session import AwsClients
from tests.functional.awsmode.conftest import ENV, REGION, seed, write_environment

DAY = "2025-03-03"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-org-evaluation"


def _fail(arn: str) -> None:
    """moto runs nothing without its interpreter: the execution is marked as AWS would end it."""
    execution = stepfunctions_backends["123456789012"][REGION].describe_execution(arn)
    execution.status = "FAILED"
    execution.stop_date = datetime.now(UTC).isoformat()


def test_a_failed_execution_is_resumed_by_a_new_attempt(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], cli_env: Database
) -> None:
    org_id = str(seed(cli_env, "acme"))
    started = runner.invoke(
        app, ["--env", ENV, "trigger", "--org", "acme", "--day", DAY, "--no-wait", "--json"]
    )
    assert started.exit_code == 0, started.output
    first = json.loads(started.stdout)["execution_arn"]
    _fail(first)

    result = runner.invoke(app, ["--env", ENV, "redrive", first.rsplit(":", 1)[1], "--json"])
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["action"] == "new_attempt"
    assert outcome["status"] == "RUNNING"  # the new attempt runs; the FAILED one stays as it was
    assert outcome["new_execution_arn"].endswith(f"-{DAY.replace('-', '')}-a2")
    sfn = boto3.client("stepfunctions", region_name=REGION)
    second = sfn.describe_execution(executionArn=outcome["new_execution_arn"])
    assert second["status"] == "RUNNING"
    assert json.loads(second["input"])["org_id"] == org_id
    assert json.loads(second["input"])["batch_day"] == DAY
    assert json.loads(second["input"])["triggered_by"] == "redrive"

    # Redriving the old attempt again does not start a third: a2 owns the batch now.
    again = runner.invoke(app, ["--env", ENV, "redrive", first.rsplit(":", 1)[1], "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["action"] == "skipped"
    assert "is running" in json.loads(again.stdout)["reason"]


def _stub(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Stubber]:
    client = boto3.client(
        "stepfunctions", region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    monkeypatch.setattr(AwsClients, "stepfunctions", lambda self: client)
    return client, Stubber(client)


def _described(name: str, status: str) -> dict[str, Any]:
    started = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    return {
        "executionArn": f"{SM.replace(':stateMachine:', ':execution:')}:{name}",
        "stateMachineArn": SM,
        "name": name,
        "status": status,
        "startDate": started,
        "stopDate": started + timedelta(hours=2),
        "input": json.dumps({"org_id": "o-1", "batch_day": DAY}),
        "redriveCount": 0,
        "redriveStatus": "REDRIVABLE" if status != "SUCCEEDED" else "NOT_REDRIVABLE",
    }


@pytest.mark.parametrize("status", ["TIMED_OUT", "ABORTED"])
def test_timed_out_and_aborted_executions_go_through_redrive_execution(
    app: typer.Typer, runner: CliRunner, senso_home: Path, aws_creds: None,
    monkeypatch: pytest.MonkeyPatch, status: str,
) -> None:  # fmt: skip
    write_environment(senso_home, region=REGION, state_machine_arn=SM)
    _, stub = _stub(monkeypatch)
    name = "org-o-1-20250303-a1"
    arn = f"{SM.replace(':stateMachine:', ':execution:')}:{name}"
    stub.add_response("describe_execution", _described(name, status), {"executionArn": arn})
    stub.add_response(
        "redrive_execution", {"redriveDate": datetime.now(UTC)}, {"executionArn": arn}
    )
    with stub:
        result = runner.invoke(app, ["--env", ENV, "redrive", name])
        stub.assert_no_pending_responses()
    assert result.exit_code == 0, result.output
    assert f"redriven (from the step that did not finish): {name} RUNNING" in result.stdout


@pytest.mark.parametrize("status", ["RUNNING", "SUCCEEDED"])
def test_running_and_succeeded_executions_are_refused_without_a_change(
    app: typer.Typer, runner: CliRunner, senso_home: Path, aws_creds: None,
    monkeypatch: pytest.MonkeyPatch, status: str,
) -> None:  # fmt: skip
    write_environment(senso_home, region=REGION, state_machine_arn=SM)
    _, stub = _stub(monkeypatch)
    name = "org-o-1-20250303-a1"
    arn = f"{SM.replace(':stateMachine:', ':execution:')}:{name}"
    stub.add_response("describe_execution", _described(name, status), {"executionArn": arn})
    with stub:
        result = runner.invoke(app, ["--env", ENV, "redrive", name])
        stub.assert_no_pending_responses()  # no RedriveExecution, no StartExecution
    assert result.exit_code == 2
    assert f"a {status} execution cannot be redriven" in result.output


def test_dry_run_says_which_it_would_do(
    app: typer.Typer, runner: CliRunner, senso_home: Path, aws_creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    write_environment(senso_home, region=REGION, state_machine_arn=SM)
    _, stub = _stub(monkeypatch)
    for name, status in (("org-o-1-20250303-a1", "FAILED"), ("org-o-2-20250303-a1", "ABORTED")):
        arn = f"{SM.replace(':stateMachine:', ':execution:')}:{name}"
        stub.add_response("describe_execution", _described(name, status), {"executionArn": arn})
    with stub:
        failed = runner.invoke(app, ["--env", ENV, "redrive", "org-o-1-20250303-a1", "--dry-run"])
        aborted = runner.invoke(
            app, ["--env", ENV, "redrive", "org-o-2-20250303-a1", "--dry-run", "--json"]
        )
        stub.assert_no_pending_responses()
    assert failed.exit_code == 0, failed.output
    assert "would start new attempt (a FAILED execution ended in its Fail state)" in failed.stdout
    assert json.loads(aborted.stdout)["action"] == "would_redrive"
