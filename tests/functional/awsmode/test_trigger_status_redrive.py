"""`senso trigger|status|redrive --env test` against moto (RedriveExecution through Stubber;
the choice between RedriveExecution and a new attempt: test_redrive_end_states.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
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
from handlers.executions import execution_name as handler_name
from handlers.workflow import run_inline
from senso_cli.aws.session import AwsClients
from senso_cli.aws.stepfunctions import StepFunctions, execution_name
from senso_cli.runs.sfn import SfnRuns
from senso_cli.services import aws_runs
from tests.functional.awsmode.conftest import ENV, REGION, seed, write_environment
from tests.functional.steps.conftest import make_services

DAY = "2025-03-03"


def set_status(arn: str, status: str) -> None:
    """moto runs nothing without its interpreter: executions stay RUNNING unless told."""
    backend = stepfunctions_backends["123456789012"][REGION]
    execution = backend.describe_execution(arn)
    execution.status = status
    execution.stop_date = datetime.now(UTC).isoformat()


def trigger(runner: CliRunner, app: typer.Typer, org: str, *extra: str) -> Any:
    return runner.invoke(
        app, ["--env", ENV, "trigger", "--org", org, "--day", DAY, "--no-wait", "--json", *extra]
    )


def test_names_agree_between_cli_and_dispatcher() -> None:
    for org_id in ("0b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10", "x" * 90, "a/b c", "42"):
        for attempt in (1, 7):
            assert handler_name(org_id, date(2025, 3, 1), attempt) == execution_name(
                org_id, date(2025, 3, 1), attempt
            )


def test_trigger_is_idempotent_per_org_and_day(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], cli_env: Database, sfn_client: Any
) -> None:
    org_id = seed(cli_env, "acme")
    first = trigger(runner, app, "acme")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["name"] == f"org-{org_id}-20250303-a1" and data["outcome"] == "started"
    described = sfn_client.describe_execution(executionArn=data["execution_arn"])
    payload = json.loads(described["input"])
    assert {k: payload[k] for k in ("org_id", "triggered_by", "shadow", "batch_day")} == {
        "org_id": str(org_id),
        "triggered_by": "manual",
        "shadow": False,
        "batch_day": DAY,
    }

    doubled = trigger(runner, app, "acme")
    assert doubled.exit_code == 0, doubled.output
    assert json.loads(doubled.stdout)["outcome"] == "already_running"
    assert "already running" in doubled.stderr
    executions = sfn_client.list_executions(stateMachineArn=aws_env["state_machine_arn"])
    assert len(executions["executions"]) == 1

    # A failed attempt is retried under the next name; the batch is resumed by GetOrCreateBatch.
    set_status(data["execution_arn"], "FAILED")
    retried = json.loads(trigger(runner, app, "acme").stdout)
    assert retried["name"].endswith("-a2") and retried["outcome"] == "started"

    # A succeeded attempt: a manual trigger starts the next (it skips a complete batch fast).
    set_status(retried["execution_arn"], "SUCCEEDED")
    again = trigger(runner, app, "acme")
    assert json.loads(again.stdout)["name"].endswith("-a3")
    assert "attempt 2 already succeeded" in again.stderr


def test_trigger_without_database_accepts_an_org_uuid(
    app: typer.Typer,
    runner: CliRunner,
    senso_home: Path,
    state_machine_arn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENSO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    write_environment(senso_home, region=REGION, state_machine_arn=state_machine_arn)
    org_id = "0b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10"
    result = trigger(runner, app, org_id)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == f"org-{org_id}-20250303-a1"
    assert "batch progress cannot be shown" in result.stderr

    by_slug = trigger(runner, app, "acme")
    assert by_slug.exit_code == 2
    assert "the database is not reachable" in by_slug.output and "UUID" in by_slug.output


def test_unknown_org_starts_nothing(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], sfn_client: Any
) -> None:
    result = trigger(runner, app, "nope")
    assert result.exit_code == 2 and "no org 'nope'" in result.output
    assert (
        sfn_client.list_executions(stateMachineArn=aws_env["state_machine_arn"])["executions"] == []
    )


def test_status_lists_filters_and_describes(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], cli_env: Database
) -> None:
    acme, bank = seed(cli_env, "acme"), seed(cli_env, "bank")
    a = json.loads(trigger(runner, app, "acme").stdout)
    json.loads(trigger(runner, app, "bank").stdout)
    set_status(a["execution_arn"], "FAILED")

    listed = json.loads(runner.invoke(app, ["--env", ENV, "status", "--json"]).stdout)
    assert sorted(r["name"] for r in listed) == sorted(
        [f"org-{acme}-20250303-a1", f"org-{bank}-20250303-a1"]
    )
    failed = runner.invoke(app, ["--env", ENV, "status", "--status", "failed", "--json"])
    assert [r["name"] for r in json.loads(failed.stdout)] == [a["name"]]
    by_org = runner.invoke(app, ["--env", ENV, "status", "--org", "bank", "--json"])
    assert [r["name"] for r in json.loads(by_org.stdout)] == [f"org-{bank}-20250303-a1"]
    table = runner.invoke(app, ["--env", ENV, "status"])
    assert table.exit_code == 0 and "FAILED" in table.stdout

    one = runner.invoke(app, ["--env", ENV, "status", a["name"], "--json"])
    assert one.exit_code == 0, one.output
    described = json.loads(one.stdout)
    assert described["status"] == "FAILED" and described["execution_arn"] == a["execution_arn"]
    # moto's canned history (no interpreter here) still goes through the shared timeline.
    assert isinstance(described["states"], list)
    text = runner.invoke(app, ["--env", ENV, "status", a["name"]])
    assert text.exit_code == 0 and f"{a['name']}: FAILED" in text.stdout


def test_following_a_shadow_execution_shows_its_shadow_batch(
    aws_env: dict[str, Any], cli_env: Database, sfn_client: Any, tmp_path: Path
) -> None:
    """A shadow run's batch is in senso's shadow tables: the follow view and status read it
    there, and a live execution of the same org and day never shows it."""
    org_id = seed(cli_env, "acme")
    services = make_services(tmp_path)
    try:  # the shadow batch of the day, as the steps leave it; no live batch exists
        run_inline(
            cli_env, {"org_id": str(org_id), "batch_day": DAY, "shadow": True}, services=services
        )
    finally:
        services.close()
    runs = SfnRuns(
        StepFunctions(sfn_client), lambda: str(aws_env["state_machine_arn"]), lambda: cli_env
    )
    day = date.fromisoformat(DAY)
    shadow = runs.start("acme", day, shadow=True)
    assert shadow.name == f"org-{org_id}-20250303-a1-shadow"
    set_status(shadow.execution_arn, "SUCCEEDED")
    *_, last = runs.follow(shadow, interval=0)
    assert last.batch is not None, "the follow view lost the shadow batch"
    assert (last.batch.status, last.batch.cells, last.batch.completed) == ("completed", 1, 1)
    described = runs.describe(shadow.name)
    assert described.batch is not None and described.batch.batch_id == last.batch.batch_id

    live = runs.start("acme", day)
    set_status(live.execution_arn, "SUCCEEDED")
    *_, live_last = runs.follow(live, interval=0)
    assert live_last.batch is None  # the product has no batch for that day


def test_redrive_of_a_failed_shadow_execution_starts_a_shadow_attempt(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], cli_env: Database, sfn_client: Any
) -> None:
    seed(cli_env, "acme")
    runs = SfnRuns(
        StepFunctions(sfn_client), lambda: str(aws_env["state_machine_arn"]), lambda: cli_env
    )
    shadow = runs.start("acme", date.fromisoformat(DAY), shadow=True)
    set_status(shadow.execution_arn, "FAILED")

    result = runner.invoke(app, ["--env", ENV, "redrive", shadow.name, "--json"])

    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["action"] == "new_attempt"
    assert outcome["new_execution_arn"].endswith("-a2-shadow")
    started = sfn_client.describe_execution(executionArn=outcome["new_execution_arn"])
    assert json.loads(started["input"])["shadow"] is True  # never a live, charging run
    names = [e["name"] for e in sfn_client.list_executions(
        stateMachineArn=aws_env["state_machine_arn"])["executions"]]  # fmt: skip
    assert all(name.endswith("-shadow") for name in names), names


def _stubbed_sfn() -> tuple[Any, Stubber]:
    client = boto3.client(
        "stepfunctions", region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    return client, Stubber(client)


SM = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-org-evaluation"


def _item(name: str, status: str, started: datetime) -> dict[str, Any]:
    return {
        "executionArn": f"{SM.replace(':stateMachine:', ':execution:')}:{name}",
        "stateMachineArn": SM,
        "name": name,
        "status": status,
        "startDate": started,
    }


def test_bulk_redrive_redrives_timed_out_and_skips_superseded(aws_creds: None) -> None:
    client, stub = _stubbed_sfn()
    now = datetime.now(UTC)
    items = [
        _item("org-b-20250303-a1", "TIMED_OUT", now - timedelta(minutes=1)),
        _item("org-a-20250303-a2", "SUCCEEDED", now - timedelta(minutes=2)),
        _item("org-a-20250303-a1", "TIMED_OUT", now - timedelta(minutes=3)),
        _item("org-c-20250303-a1", "TIMED_OUT", now - timedelta(minutes=4)),
    ]
    stub.add_response("list_executions", {"executions": items}, {"stateMachineArn": SM})
    stub.add_response(
        "redrive_execution", {"redriveDate": now}, {"executionArn": items[3]["executionArn"]}
    )
    stub.add_client_error(
        "redrive_execution",
        service_error_code="ExecutionNotRedrivable",
        service_message="Execution is not redrivable",
        expected_params={"executionArn": items[0]["executionArn"]},
    )
    with stub:
        outcomes = aws_runs.redrive_many(
            StepFunctions(client), SM, since=now - timedelta(hours=24), status="TIMED_OUT"
        )
        stub.assert_no_pending_responses()
    assert [(o.name, o.action) for o in outcomes] == [
        ("org-c-20250303-a1", "redriven"),
        ("org-a-20250303-a1", "skipped"),
        ("org-b-20250303-a1", "failed"),
    ]
    assert outcomes[1].reason == "superseded by org-a-20250303-a2"
    assert "not redrivable" in (outcomes[2].reason or "")


def _with_stub(monkeypatch: pytest.MonkeyPatch, client: Any) -> None:
    # moto has no RedriveExecution: the CLI gets a Stubber-backed client for these tests.
    monkeypatch.setattr(AwsClients, "stepfunctions", lambda self: client)


def test_redrive_one_execution_and_bulk_dry_run_through_the_cli(
    app: typer.Typer,
    runner: CliRunner,
    senso_home: Path,
    aws_creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_environment(senso_home, region=REGION, state_machine_arn=SM)
    client, stub = _stubbed_sfn()
    _with_stub(monkeypatch, client)
    now = datetime.now(UTC)
    arn = f"{SM.replace(':stateMachine:', ':execution:')}:org-a-20250303-a1"
    timed_out = {**_item("org-a-20250303-a1", "TIMED_OUT", now), "stopDate": now}
    stub.add_response("describe_execution", timed_out, {"executionArn": arn})
    stub.add_response("redrive_execution", {"redriveDate": now}, {"executionArn": arn})
    stub.add_response(
        "list_executions",
        {"executions": [_item("org-a-20250303-a1", "FAILED", now)]},
        {"stateMachineArn": SM},
    )
    with stub:
        one = runner.invoke(app, ["--env", ENV, "redrive", "org-a-20250303-a1", "--json"])
        assert one.exit_code == 0, one.output
        assert json.loads(one.stdout)["action"] == "redriven"
        bulk = runner.invoke(
            app, ["--env", ENV, "redrive", "--since", "24h", "--status", "FAILED", "--dry-run"]
        )
        assert bulk.exit_code == 0, bulk.output
        # A FAILED execution is resumed by a new attempt (its redrive would re-run the Fail
        # state), and the dry run says so.
        assert "org-a-20250303-a1" in bulk.stdout and "would start new attempt" in bulk.stdout
        stub.assert_no_pending_responses()

    missing = runner.invoke(app, ["--env", ENV, "redrive"])
    assert missing.exit_code == 2 and "--since" in missing.output


def test_redrive_of_a_running_execution_is_refused_with_exit_2(
    app: typer.Typer,
    runner: CliRunner,
    senso_home: Path,
    aws_creds: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_environment(senso_home, region=REGION, state_machine_arn=SM)
    client, stub = _stubbed_sfn()
    _with_stub(monkeypatch, client)
    running = _item("org-a-20250303-a1", "RUNNING", datetime.now(UTC))
    stub.add_response("describe_execution", running, {"executionArn": running["executionArn"]})
    with stub:
        result = runner.invoke(app, ["--env", ENV, "redrive", "org-a-20250303-a1"])
        stub.assert_no_pending_responses()
    assert result.exit_code == 2
    assert "a RUNNING execution cannot be redriven" in result.output
