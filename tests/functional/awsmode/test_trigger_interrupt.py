"""Ctrl-C on `senso --env NAME trigger --wait`: the execution runs on Step Functions, so the
command detaches explicitly (exit 130), leaves it RUNNING and says how to follow, stop and
resume it in that environment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.runs.sfn import SfnRuns
from tests.functional.awsmode.conftest import ENV, seed


def test_ctrl_c_detaches_from_step_functions_and_says_how_to_stop_and_resume(
    app: typer.Typer,
    runner: CliRunner,
    aws_env: dict[str, Any],
    cli_env: Database,
    sfn_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(cli_env, "acme")
    real_follow = SfnRuns.follow

    def interrupted(self: SfnRuns, *args: Any, **kwargs: Any) -> Iterator[Any]:
        follow = real_follow(self, *args, **kwargs)
        yield next(follow)
        raise KeyboardInterrupt

    monkeypatch.setattr(SfnRuns, "follow", interrupted)
    result = runner.invoke(
        app, ["--env", ENV, "trigger", "--org", "acme", "--wait", "--poll-interval", "0"]
    )

    assert result.exit_code == 130, result.output
    (execution,) = sfn_client.list_executions(stateMachineArn=aws_env["state_machine_arn"])[
        "executions"
    ]
    assert execution["status"] == "RUNNING"  # detached, not stopped: nothing of ours dies
    name, arn = execution["name"], execution["executionArn"]
    said = " ".join(result.output.split())  # rich folds long lines
    assert f"detached: {name} keeps running (on Step Functions)" in said
    assert f"follow it with `senso status {name} --env {ENV}`" in said
    assert f"`aws stepfunctions stop-execution --execution-arn {arn}` stops it" in said
    assert f"then `senso redrive {name} --env {ENV}` resumes it" in said
