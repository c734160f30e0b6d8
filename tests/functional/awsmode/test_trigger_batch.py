"""`senso trigger-batch`: many starts, safe re-runs, throttling, rate limit, local mode."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import typer
from botocore.config import Config
from botocore.stub import Stubber
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.aws.throttle import RateLimiter
from senso_cli.services.aws_runs import SfnExecutions
from senso_cli.services.trigger_batch import trigger_aws
from tests.fakes.clock import FakeClock
from tests.functional.awsmode.conftest import ENV, REGION, seed

DAY = "2025-03-03"  # a Monday
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-org-evaluation"


def batch(runner: CliRunner, app: typer.Typer, *args: str) -> Any:
    return runner.invoke(app, ["--env", ENV, "trigger-batch", "--day", DAY, *args])


def test_trigger_batch_from_a_file_is_safe_to_rerun(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    sfn_client: Any,
    tmp_path: Path,
) -> None:
    acme, bank = seed(cli_env, "acme"), seed(cli_env, "bank")
    orgs = tmp_path / "orgs.txt"
    orgs.write_text(f"acme\n# a comment\n{bank}\n\nnope\nacme\n")

    first = batch(runner, app, "--orgs", str(orgs), "--json")
    assert first.exit_code == 1, first.output  # `nope` could not be started
    data = json.loads(first.stdout)
    assert data["counts"] == {
        "started": 2,
        "already_running": 0,
        "already_succeeded": 0,
        "failed": 1,
    }
    assert [(i["ref"], i["outcome"]) for i in data["items"]] == [
        ("acme", "started"),
        (str(bank), "started"),
        ("nope", "failed"),
    ]
    assert data["items"][2]["reason"] == "no org 'nope'"
    names = sorted(
        e["name"]
        for e in sfn_client.list_executions(stateMachineArn=aws_env["state_machine_arn"])[
            "executions"
        ]
    )
    assert names == sorted([f"org-{acme}-20250303-a1", f"org-{bank}-20250303-a1"])

    again = batch(runner, app, "--orgs", str(orgs))
    assert again.exit_code == 1
    assert "already running: 2" in again.stdout and "started: 0" in again.stdout
    assert "no org 'nope'" in again.stdout
    executions = sfn_client.list_executions(stateMachineArn=aws_env["state_machine_arn"])
    assert len(executions["executions"]) == 2


def test_trigger_batch_by_schedule_day_and_all(
    app: typer.Typer, runner: CliRunner, aws_env: dict[str, Any], cli_env: Database
) -> None:
    monday = seed(cli_env, "acme", ["monday", "thursday"])
    seed(cli_env, "bank", ["tuesday"])
    result = batch(runner, app, "--schedule-day", "mon", "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert [(i["ref"], i["outcome"]) for i in items] == [(str(monday), "started")]

    everything = batch(runner, app, "--all", "--json", "--concurrency", "3", "--rate", "20/s")
    counts = json.loads(everything.stdout)["counts"]
    assert counts["started"] == 1 and counts["already_running"] == 1

    both = batch(runner, app, "--all", "--schedule-day", "0")
    assert both.exit_code == 2 and "exactly one of" in both.output
    bad_rate = batch(runner, app, "--all", "--rate", "fast")
    assert bad_rate.exit_code == 2 and "is not a rate" in bad_rate.output


def test_throttled_starts_back_off_and_the_rate_limit_paces_them(aws_creds: None) -> None:
    # moto never throttles; Stubber answers ThrottlingException twice before accepting.
    client = boto3.client(
        "stepfunctions", region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    stub = Stubber(client)
    org = "0b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10"
    for _ in range(2):
        stub.add_client_error(
            "start_execution", service_error_code="ThrottlingException", http_status_code=400
        )
    now = datetime.now(UTC)
    arn = f"{SM.replace(':stateMachine:', ':execution:')}:org-{org}-20250303-a1"
    stub.add_response("start_execution", {"executionArn": arn, "startDate": now})
    stub.add_client_error(
        "start_execution",
        service_error_code="StateMachineDoesNotExist",
        service_message="State Machine Does Not Exist",
    )
    clock = FakeClock()
    backoff: list[float] = []
    api = SfnExecutions(
        StepFunctions(client),
        SM,
        limiter=RateLimiter(2.0, clock=clock, sleep=clock.sleep),
        sleep=backoff.append,
    )
    with stub:
        report = trigger_aws(
            api,
            [org, "1b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10"],
            date(2025, 3, 3),
            db=None,
            concurrency=1,
        )
        stub.assert_no_pending_responses()
    assert (report.items[0].outcome, report.items[0].execution_arn) == ("started", arn)
    assert report.items[1].outcome == "failed"
    assert "State Machine Does Not Exist" in (report.items[1].reason or "")
    assert len(backoff) == 2  # two throttles, two waits, then success
    assert clock.sleeps == [0.5]  # the second start waited for its token at 2/s


def test_rate_limit_holds_across_many_threads(aws_env: dict[str, Any]) -> None:
    clock = FakeClock()
    api = SfnExecutions(
        StepFunctions(boto3.client("stepfunctions", region_name=REGION)),
        aws_env["state_machine_arn"],
        limiter=RateLimiter(10.0, burst=1, clock=clock, sleep=clock.sleep),
    )
    refs = [f"00000000-0000-4000-8000-{n:012d}" for n in range(20)]
    report = trigger_aws(api, refs, date(2025, 3, 3), db=None, concurrency=8)
    assert report.counts()["started"] == 20
    # 20 starts at 10/s with a burst of 1 take 1.9 s of (fake) time whatever the concurrency.
    assert round(clock.slept, 6) == 1.9


def test_local_trigger_batch_runs_each_execution(
    app: typer.Typer, runner: CliRunner, cli_env: Database
) -> None:
    seed(cli_env, "acme")
    seed(cli_env, "bank")
    result = runner.invoke(
        app, ["trigger-batch", "--all", "--day", DAY, "--concurrency", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert [(i["outcome"], i["final_status"]) for i in items] == [("started", "SUCCEEDED")] * 2
    with cli_env.connect() as conn:
        rows = conn.execute("SELECT status FROM question_run_batches").fetchall()
    assert [r["status"] for r in rows] == ["completed", "completed"]
