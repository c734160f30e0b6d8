"""`senso logs`: two CloudWatch groups interleaved and followed (moto), and the local history."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.aws.logs import CloudWatchLogs
from senso_cli.context import AppState
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.logs import LogFilters, aws_source
from senso_cli.settings import load_settings
from tests.functional.awsmode.conftest import ENV, HANDLER_GROUP, REGION, SFN_GROUP, seed

T0 = (datetime.now(UTC) - timedelta(minutes=3)).replace(microsecond=0)
MACHINE = "arn:aws:states:us-east-1:123456789012:execution:senso-test-org-evaluation"
EXEC_A = f"{MACHINE}:org-a-20250303-a1"
EXEC_B = f"{MACHINE}:org-b-20250303-a1"


class Writer:
    def __init__(self) -> None:
        self.client = boto3.client("logs", region_name=REGION)
        self.streams: set[tuple[str, str]] = set()

    def put(self, group: str, stream: str, seconds: float, record: dict[str, Any]) -> None:
        if (group, stream) not in self.streams:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            self.streams.add((group, stream))
        when = int((T0 + timedelta(seconds=seconds)).timestamp() * 1000)
        self.client.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": when, "message": json.dumps(record)}],
        )

    def handler(
        self,
        task: str,
        seconds: float,
        execution: str,
        step: str,
        message: str,
        level: str = "INFO",
    ) -> None:
        self.put(
            HANDLER_GROUP,
            f"step/handlers/{task}",
            seconds,
            {
                "timestamp": "x",
                "level": level,
                "message": message,
                "step": step,
                "execution_id": execution,
                "org_id": execution.split(":org-")[1][:1],
            },
        )

    def machine(self, seconds: float, execution: str, kind: str, **details: Any) -> None:
        self.put(
            SFN_GROUP,
            f"states/{execution.rsplit(':', 1)[-1]}",
            seconds,
            {
                "id": "1",
                "type": kind,
                "details": details,
                "execution_arn": execution,
            },
        )


@pytest.fixture
def writer(aws_env: dict[str, Any]) -> Writer:
    return Writer()


def scripted_sleep(steps: list[Callable[[], None]]) -> Callable[[float], None]:
    def sleep(_seconds: float) -> None:
        if steps:
            steps.pop(0)()

    return sleep


def test_follow_interleaves_both_groups_and_picks_up_new_task_streams(writer: Writer) -> None:
    writer.machine(1, EXEC_A, "TaskStateEntered", name="GetOrCreateBatch")
    writer.handler("task-1", 2, EXEC_A, "GetOrCreateBatch", "step started")
    writer.handler("task-9", 2.5, EXEC_B, "GetOrCreateBatch", "another execution")
    writer.machine(3, EXEC_A, "TaskSucceeded", resource="runTask.waitForTaskToken")

    def second_task_starts() -> None:
        writer.machine(4, EXEC_A, "TaskStateEntered", name="CheckBalance")
        writer.handler("task-2", 5, EXEC_A, "CheckBalance", "step failed", level="ERROR")

    source = aws_source(
        CloudWatchLogs(boto3.client("logs", region_name=REGION)),
        [HANDLER_GROUP, SFN_GROUP],
        LogFilters(execution=EXEC_A),
        since=T0,
        follow=True,
        live=False,
        clock=lambda: T0 + timedelta(seconds=30),
        sleep=scripted_sleep([second_task_starts]),
        max_polls=3,
    )
    lines = [(line.source, line.step, line.message, line.stream) for line in source]
    assert lines == [
        (
            "state_machine",
            "GetOrCreateBatch",
            "TaskStateEntered GetOrCreateBatch",
            "states/org-a-20250303-a1",
        ),
        ("handler", "GetOrCreateBatch", "step started", "step/handlers/task-1"),
        # Task events carry no state name; they belong to the state last entered.
        (
            "state_machine",
            "GetOrCreateBatch",
            "TaskSucceeded GetOrCreateBatch",
            "states/org-a-20250303-a1",
        ),
        (
            "state_machine",
            "CheckBalance",
            "TaskStateEntered CheckBalance",
            "states/org-a-20250303-a1",
        ),
        ("handler", "CheckBalance", "step failed", "step/handlers/task-2"),
    ]
    assert source.follower.polls == 3


def test_logs_command_filters_and_formats(
    app: typer.Typer, runner: CliRunner, writer: Writer
) -> None:
    writer.machine(1, EXEC_A, "TaskStateEntered", name="CheckBalance")
    writer.handler("task-1", 2, EXEC_A, "CheckBalance", "balance ok")
    writer.handler("task-2", 3, EXEC_B, "TrackUsage", "charge failed", level="ERROR")
    writer.machine(4, EXEC_B, "ExecutionFailed", error="Senso.Transient", cause="db down")

    as_json = runner.invoke(app, ["--env", ENV, "logs", "--since", "1h", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["message"] for r in rows] == [
        "TaskStateEntered CheckBalance",
        "balance ok",
        "charge failed",
        "ExecutionFailed: Senso.Transient: db down",
    ]

    errors = runner.invoke(app, ["--env", ENV, "logs", "--since", "1h", "--level", "error"])
    assert errors.exit_code == 0, errors.output
    assert "charge failed" in errors.stdout and "balance ok" not in errors.stdout
    assert "ExecutionFailed" in errors.stdout

    one = runner.invoke(
        app,
        [
            "--env",
            ENV,
            "logs",
            "--since",
            "1h",
            "--execution",
            "org-a-20250303-a1",
            "--format",
            "detailed",
        ],
    )
    assert one.exit_code == 0, one.output
    assert "balance ok" in one.stdout and "charge failed" not in one.stdout
    assert "stream=step/handlers/task-1" in one.stdout

    step = runner.invoke(app, ["--env", ENV, "logs", "--since", "1h", "--step", "TrackUsage"])
    assert [line.split()[-2:] for line in step.stdout.splitlines()] == [["charge", "failed"]]

    bad = runner.invoke(app, ["--env", ENV, "logs", "--format", "xml"])
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("mode", "polls"),
    # Only polling here: moto 5.2's StartLiveTail resolves every group identifier to the last
    # group (its _find_log_group loop never breaks), so a two-group live tail sees one group.
    [("--poll", "2")],
)
def test_logs_follow_through_the_cli_shows_tasks_that_start_later(
    app: typer.Typer,
    runner: CliRunner,
    writer: Writer,
    mode: str,
    polls: str,
) -> None:
    writer.handler("task-1", 1, EXEC_A, "CheckBalance", "first")
    steps = [lambda: writer.handler("task-2", 2, EXEC_A, "TrackUsage", "second task")]
    # The invocation's clock (AppState.sleep), handed to the backend the factory builds.
    result = runner.invoke(
        app,
        ["--env", ENV, "logs", "--since", "1h", "--follow", mode, "--max-polls", polls],
        obj=AppState(sleep=scripted_sleep(steps)),
    )
    assert result.exit_code == 0, result.output
    assert [line.split()[-1] for line in result.stdout.splitlines()] == ["first", "task"]
    assert steps == []  # the second task's stream appeared mid-follow


def test_local_logs_show_the_recorded_history(
    app: typer.Typer, runner: CliRunner, cli_env: Database, tmp_path: Path
) -> None:
    org_id = seed(cli_env, "acme")
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    runtime = LocalRuntime(cli_env, settings, time_scale=0)
    started = runtime.start({"org_id": str(org_id)}, name="run-1", org_id=org_id)
    runtime.run(started.execution_arn)

    result = runner.invoke(app, ["logs", "--since", "1h", "--step", "CheckBalance"])
    assert result.exit_code == 0, result.output
    # time, level, the run's mark (several runs may show), the step column, then the message
    assert all(" run-1 " in line for line in result.stdout.splitlines())
    messages = [line.split("CheckBalance", 1)[1].strip() for line in result.stdout.splitlines()]
    assert messages[0] == "TaskStateEntered CheckBalance"
    assert "TaskSucceeded CheckBalance" in messages

    by_org = runner.invoke(app, ["logs", "--since", "1h", "--org", "acme", "--format", "json"])
    kinds = [json.loads(line)["message"].split()[0] for line in by_org.stdout.splitlines()]
    assert kinds[0] == "ExecutionStarted" and kinds[-1] == "ExecutionSucceeded"
