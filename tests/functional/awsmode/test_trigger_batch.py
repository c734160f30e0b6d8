"""`senso trigger-batch`: one dispatcher execution, safe re-runs, shadow, throttling, rate
limit, local mode."""

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
from handlers.dispatching import dispatch_through_dispatcher
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.aws.throttle import RateLimiter
from senso_cli.services.aws_runs import SfnDispatcher
from tests.fakes.clock import FakeClock
from tests.functional.awsmode.conftest import ENV, REGION, seed, write_environment

DAY = "2025-03-03"  # a Monday
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-org-evaluation"
DISPATCHER = "arn:aws:states:us-east-1:123456789012:stateMachine:senso-test-dispatcher"


def batch(runner: CliRunner, app: typer.Typer, *args: str) -> Any:
    return runner.invoke(app, ["--env", ENV, "trigger-batch", "--day", DAY, *args])


def executions(sfn_client: Any, arn: str) -> list[dict[str, Any]]:
    return list(sfn_client.list_executions(stateMachineArn=arn)["executions"])


def dispatcher_inputs(sfn_client: Any, dispatcher_arn: str) -> list[dict[str, Any]]:
    return [
        json.loads(sfn_client.describe_execution(executionArn=e["executionArn"])["input"])
        for e in executions(sfn_client, dispatcher_arn)
    ]


def test_trigger_batch_from_a_file_goes_to_one_dispatcher_and_is_safe_to_rerun(
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
    machine, dispatcher = aws_env["state_machine_arn"], aws_env["dispatcher_state_machine_arn"]

    first = batch(runner, app, "--orgs", str(orgs), "--max-concurrency", "7", "--json")
    assert first.exit_code == 1, first.output  # `nope` could not be started
    data = json.loads(first.stdout)  # one document; progress went to stderr
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
    acme_name, bank_name = f"org-{acme}-20250303-a1", f"org-{bank}-20250303-a1"
    assert data["items"][0]["execution_arn"].endswith(
        f":execution:{machine.split(':')[-1]}:{acme_name}"
    )
    # The CLI started no org execution itself: one dispatcher execution starts them, at most
    # --max-concurrency at once (Step Functions runs it; moto only records it).
    assert executions(sfn_client, machine) == []
    assert data["dispatcher_executions"] == [
        e["executionArn"] for e in executions(sfn_client, dispatcher)
    ]
    assert dispatcher_inputs(sfn_client, dispatcher) == [
        {
            "day": DAY,
            "triggered_by": "manual_batch",
            "max_concurrency": 7,
            "shadow": False,
            "orgs": [
                {"org_id": str(acme), "name": acme_name},
                {"org_id": str(bank), "name": bank_name},
            ],
        }
    ]

    # The dispatcher has started both (as Step Functions would): a re-run starts nothing.
    for name in (acme_name, bank_name):
        sfn_client.start_execution(stateMachineArn=machine, name=name, input="{}")
    again = batch(runner, app, "--orgs", str(orgs))
    assert again.exit_code == 1
    assert "already running: 2" in again.stdout and "started: 0" in again.stdout
    assert "no org 'nope'" in again.stdout
    assert len(executions(sfn_client, machine)) == 2
    assert len(executions(sfn_client, dispatcher)) == 1


def test_trigger_batch_by_schedule_day_and_all(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    sfn_client: Any,
) -> None:
    monday = seed(cli_env, "acme", ["monday", "thursday"])
    bank = seed(cli_env, "bank", ["tuesday"])
    result = batch(runner, app, "--schedule-day", "mon", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(i["ref"], i["outcome"]) for i in data["items"]] == [(str(monday), "started")]
    assert data["max_concurrency"] == 50  # the environment's setting (Terraform's default)

    sfn_client.start_execution(
        stateMachineArn=aws_env["state_machine_arn"], name=f"org-{monday}-20250303-a1", input="{}"
    )
    everything = batch(runner, app, "--all", "--json", "--concurrency", "3", "--rate", "20/s")
    data = json.loads(everything.stdout)
    assert data["counts"]["started"] == 1 and data["counts"]["already_running"] == 1
    latest = dispatcher_inputs(sfn_client, aws_env["dispatcher_state_machine_arn"])
    assert {"max_concurrency": 3, "orgs": [str(bank)]} in [
        {"max_concurrency": d["max_concurrency"], "orgs": [o["org_id"] for o in d["orgs"]]}
        for d in latest
    ]

    both = batch(runner, app, "--all", "--schedule-day", "0")
    assert both.exit_code == 2 and "exactly one of" in both.output
    bad_rate = batch(runner, app, "--all", "--rate", "fast")
    assert bad_rate.exit_code == 2 and "is not a rate" in bad_rate.output
    too_many = batch(runner, app, "--all", "--max-concurrency", "5000")
    assert too_many.exit_code == 2 and "max concurrency must be 1 to" in too_many.output
    none = batch(runner, app, "--all", "--max-concurrency", "0")
    assert none.exit_code == 2 and "max concurrency must be 1 to" in none.output
    shadow_target = batch(runner, app, "--all", "--shadow", "--target", "sfn")
    assert shadow_target.exit_code == 2 and "--shadow" in shadow_target.output


def test_shadow_trigger_batch_hands_shadow_runs_to_the_dispatcher(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    sfn_client: Any,
) -> None:
    acme = seed(cli_env, "acme")
    # acme's live execution of the day does not stand for its shadow run.
    sfn_client.start_execution(
        stateMachineArn=aws_env["state_machine_arn"], name=f"org-{acme}-20250303-a1", input="{}"
    )
    result = batch(runner, app, "--all", "--shadow", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["shadow"] is True and data["counts"]["started"] == 1
    (document,) = dispatcher_inputs(sfn_client, aws_env["dispatcher_state_machine_arn"])
    assert document["shadow"] is True
    assert document["orgs"] == [{"org_id": str(acme), "name": f"org-{acme}-20250303-a1-shadow"}]


def test_a_plan_whose_dispatcher_ended_without_starting_its_orgs_starts_again(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    sfn_client: Any,
) -> None:
    seed(cli_env, "acme")
    dispatcher = aws_env["dispatcher_state_machine_arn"]
    first = json.loads(batch(runner, app, "--all", "--json").stdout)
    (ended,) = first["dispatcher_executions"]
    again = json.loads(batch(runner, app, "--all", "--json").stdout)
    assert again["dispatcher_executions"] == [ended]  # running: the same plan joins it
    # It ended before starting acme (say its starts were denied until IAM was fixed): the same
    # plan would find that name taken for the rest of the day.
    sfn_client.stop_execution(executionArn=ended)
    retried = json.loads(batch(runner, app, "--all", "--json").stdout)
    (restarted,) = retried["dispatcher_executions"]
    assert restarted == f"{ended}-r2"
    assert retried["counts"]["started"] == 1
    assert len(executions(sfn_client, dispatcher)) == 2


def test_an_environment_without_a_dispatcher_says_how_to_fix_it(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    senso_home: Path,
) -> None:
    seed(cli_env, "acme")
    values = {k: v for k, v in aws_env.items() if k != "dispatcher_state_machine_arn"}
    write_environment(senso_home, **values)
    result = batch(runner, app, "--all")
    assert result.exit_code == 2
    assert "has no dispatcher_state_machine_arn" in result.output
    assert "senso env import-terraform" in result.output


def test_throttled_calls_back_off_and_the_rate_limit_paces_them(aws_creds: None) -> None:
    # moto never throttles; Stubber answers ThrottlingException before accepting.
    client = boto3.client(
        "stepfunctions", region_name=REGION, config=Config(retries={"max_attempts": 1})
    )
    stub = Stubber(client)
    org = "0b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10"
    for _ in range(2):
        stub.add_client_error(
            "describe_execution", service_error_code="ThrottlingException", http_status_code=400
        )
    stub.add_client_error("describe_execution", service_error_code="ExecutionDoesNotExist")
    stub.add_client_error(
        "start_execution", service_error_code="ThrottlingException", http_status_code=400
    )
    now = datetime.now(UTC)
    arn = f"{DISPATCHER.replace(':stateMachine:', ':execution:')}:dispatch-20250303-x"
    stub.add_response("start_execution", {"executionArn": arn, "startDate": now})
    clock = FakeClock()
    backoff: list[float] = []
    api = SfnDispatcher(
        StepFunctions(client),
        SM,
        DISPATCHER,
        limiter=RateLimiter(2.0, clock=clock, sleep=clock.sleep),
        sleep=backoff.append,
    )
    with stub:
        orgs, started = dispatch_through_dispatcher(
            [org], date(2025, 3, 3), api, max_concurrency=4, triggered_by="manual_batch"
        )
        stub.assert_no_pending_responses()
    assert [(o.outcome, o.execution_arn) for o in orgs] == [
        ("started", f"{SM.replace(':stateMachine:', ':execution:')}:org-{org}-20250303-a1")
    ]
    assert started == [arn]
    assert len(backoff) == 3  # three throttles, three waits, then success
    assert clock.sleeps == [0.5]  # the dispatcher's start waited for its token at 2/s


def test_rate_limit_paces_the_lookups(aws_env: dict[str, Any]) -> None:
    clock = FakeClock()
    api = SfnDispatcher(
        StepFunctions(boto3.client("stepfunctions", region_name=REGION)),
        aws_env["state_machine_arn"],
        aws_env["dispatcher_state_machine_arn"],
        limiter=RateLimiter(10.0, burst=1, clock=clock, sleep=clock.sleep),
    )
    refs = [f"00000000-0000-4000-8000-{n:012d}" for n in range(20)]
    orgs, started = dispatch_through_dispatcher(
        refs, date(2025, 3, 3), api, max_concurrency=8, triggered_by="manual_batch"
    )
    assert [o.outcome for o in orgs] == ["started"] * 20 and len(started) == 1
    # 20 lookups and one dispatcher start at 10/s with a burst of 1: 2.0 s of (fake) time.
    assert round(clock.slept, 6) == 2.0


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
