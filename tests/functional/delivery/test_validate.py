"""`senso validate`: passes on the repository's own files and fails, with a clear reason, on each
kind of breakage an operator could ship."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import typer
from moto import mock_aws
from typer.testing import CliRunner

from senso_cli.services import terraform as tf
from tests.functional.delivery.conftest import REPO, checks_by_name, write_asl

ASL_ONLY = ["--skip", "terraform", "--skip", "docker", "--skip", "env", "--json"]


def run_asl(runner: CliRunner, cli: typer.Typer, path: Path) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(cli, ["validate", "--asl", str(path), *ASL_ONLY])
    return result.exit_code, checks_by_name(result.stdout)


@pytest.mark.slow
def test_the_repository_passes_every_check(
    runner: CliRunner, cli: typer.Typer, senso_home: Path
) -> None:
    before = sorted(p.name for p in (REPO / "infra" / "terraform").iterdir())
    result = runner.invoke(cli, ["validate", "--json"])
    checks = checks_by_name(result.stdout)
    failed = {name: c["reason"] for name, c in checks.items() if c["status"] == "fail"}
    assert failed == {}
    assert result.exit_code == 0
    for name in ("terraform.fmt", "terraform.validate", "docker.lint", "handlers.used"):
        assert checks[name]["status"] == "pass"
    assert "Dispatch" in checks["handlers.used"]["reason"]
    assert checks["env.config"]["status"] == "skip"
    # Terraform ran on a copy: no .terraform/, lock file or state was left in the repository.
    assert sorted(p.name for p in (REPO / "infra" / "terraform").iterdir()) == before


def test_an_unreachable_state_fails(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    definition["States"]["Orphan"] = {"Type": "Pass", "End": True}
    code, checks = run_asl(runner, cli, write_asl(tmp_path, definition))
    assert code == 1
    assert checks["asl.reachable"]["status"] == "fail"
    assert checks["asl.reachable"]["reason"] == "state 'Orphan' is not reachable from StartAt"
    assert checks["asl.catch"]["status"] == "pass"


def test_a_task_without_a_catch_fails(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    del definition["States"]["TrackUsage"]["Catch"]
    code, checks = run_asl(runner, cli, write_asl(tmp_path, definition))
    assert code == 1
    assert checks["asl.catch"]["reason"] == (
        "Task 'TrackUsage' has no Catch of States.ALL to MarkBatchFailed"
    )


def test_a_step_without_a_handler_fails(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    overrides = definition["States"]["CompleteBatch"]["Parameters"]["Overrides"]
    overrides["ContainerOverrides"][0]["Command"] = ["CompleteBatchV2"]
    code, checks = run_asl(runner, cli, write_asl(tmp_path, definition))
    assert code == 1
    reason = checks["handlers.registered"]["reason"]
    assert reason.startswith(
        "state 'CompleteBatch' runs step 'CompleteBatchV2', which has no registered handler"
    )
    # CompleteBatch's own handler is now run by nothing.
    assert (
        "'CompleteBatch' is registered but no state or schedule runs it"
        in (checks["handlers.used"]["reason"])
    )


def test_retrying_a_non_retryable_error_and_bad_limits_fail(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    definition["States"]["CheckBalance"]["Retry"][0]["MaxAttempts"] = 2
    definition["States"]["RunQuestionMatrixWithEvaluation"]["HeartbeatSeconds"] = 1800
    del definition["States"]["TrackUsage"]["TimeoutSeconds"]
    code, checks = run_asl(runner, cli, write_asl(tmp_path, definition))
    assert code == 1
    details = checks["asl.limits"]["details"]
    assert any("'CheckBalance' retries Senso.InsufficientCredits" in d for d in details)
    assert any("HeartbeatSeconds 1800 >= TimeoutSeconds 1800" in d for d in details)
    assert "Task 'TrackUsage' has no TimeoutSeconds (it would wait up to a year)" in details


def test_a_path_that_never_ends_and_a_missing_target_fail(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    states = definition["States"]
    states["Loop"] = {"Type": "Pass", "Next": "Loop"}
    states["CheckIfBatchCompleted"]["Default"] = "Loop"
    states["TrackUsage"]["Next"] = "Nowhere"
    code, checks = run_asl(runner, cli, write_asl(tmp_path, definition))
    assert code == 1
    assert "no path from state 'Loop' reaches an end" in " ".join(
        checks["asl.terminates"]["details"]
    )
    assert checks["asl.targets"]["reason"] == (
        "state 'TrackUsage' goes to 'Nowhere', which does not exist"
    )


def test_an_unparseable_document_fails_clearly(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"StartAt": ')
    code, checks = run_asl(runner, cli, broken)
    assert code == 1
    assert checks["asl.parses"]["reason"].startswith(f"cannot parse {broken}")
    assert checks["handlers.registered"]["status"] == "fail"


@pytest.mark.slow
def test_a_bad_terraform_file_fails(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, senso_home: Path
) -> None:
    stack = tf.copy_stack(REPO / "infra" / "terraform", tmp_path / "repo")
    (stack / "broken.tf").write_text(
        'resource "aws_sqs_queue" "broken" {\n  name = var.no_such_variable\n}\n'
    )
    (stack / "ugly.tf").write_text('locals {\nx="unformatted"\n}\n')
    result = runner.invoke(
        cli,
        ["validate", "--terraform-dir", str(stack), "--skip", "asl", "--skip", "handlers",
         "--skip", "docker", "--json"],
    )  # fmt: skip
    checks = checks_by_name(result.stdout)
    assert result.exit_code == 1
    assert checks["terraform.fmt"]["reason"] == "ugly.tf is not formatted (run `terraform fmt`)"
    reason = checks["terraform.validate"]["reason"]
    assert reason.startswith("broken.tf:2: Reference to undeclared input variable"), reason
    # The copy validate ran on was thrown away; the stack it was given got nothing new.
    assert not (stack / ".terraform").exists()


def test_a_dockerfile_warning_fails(runner: CliRunner, cli: typer.Typer, tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:latest\nRUN apt-get install -y curl\n")
    result = runner.invoke(
        cli,
        ["validate", "--dockerfile", str(dockerfile), "--skip", "asl", "--skip", "handlers",
         "--skip", "terraform", "--skip", "env", "--json"],
    )  # fmt: skip
    lint = checks_by_name(result.stdout)["docker.lint"]
    assert result.exit_code == 1
    assert lint["status"] == "fail"
    assert any("DL3007" in line for line in lint["details"])  # the :latest tag


def _env_config(home: Path, secret_arn: str | None) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[environments.staging]", 'region = "us-east-1"', 'container_name = "step-handler"']
    if secret_arn:
        lines.append(f'secret_arn = "{secret_arn}"')
    (home / "config.toml").write_text("\n".join(lines) + "\n")


def test_the_environment_check_names_missing_settings_and_finds_the_secret(
    runner: CliRunner, cli: typer.Typer, senso_home: Path
) -> None:
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="senso-staging/handlers", SecretString=json.dumps({"SENSO_OPENAI_API_KEY": "sk-x"})
        )["ARN"]
        _env_config(senso_home, arn)
        result = runner.invoke(
            cli, ["validate", "--env", "staging", "--skip", "terraform", "--skip", "docker",
                  "--skip", "asl", "--skip", "handlers", "--json"],
        )  # fmt: skip
    checks = checks_by_name(result.stdout)
    assert result.exit_code == 1  # the configuration is incomplete
    assert checks["env.secrets"]["status"] == "pass"
    assert checks["env.secrets"]["reason"].startswith("secret senso-staging/handlers exists")
    assert "environment 'staging' has no state_machine_arn" in checks["env.config"]["details"]
    assert "sk-x" not in result.stdout  # a secret's value is never read, let alone printed


def test_a_missing_secret_fails(runner: CliRunner, cli: typer.Typer, senso_home: Path) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:senso-staging/gone-AbCdEf"
    _env_config(senso_home, missing)
    with mock_aws():
        result = runner.invoke(cli, ["validate", "--env", "staging", "--skip", "terraform",
                                     "--skip", "docker", "--json"])  # fmt: skip
    secrets = checks_by_name(result.stdout)["env.secrets"]
    assert result.exit_code == 1
    assert secrets["status"] == "fail"
    assert secrets["reason"].startswith(f"secret {missing}: ")


def test_an_unknown_skip_group_is_bad_usage(runner: CliRunner, cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["validate", "--skip", "dockr"])
    assert result.exit_code == 2
    assert "unknown --skip group dockr" in result.output


def test_the_table_output_gives_each_reason(
    runner: CliRunner, cli: typer.Typer, tmp_path: Path, definition: dict[str, Any]
) -> None:
    definition["States"]["Orphan"] = {"Type": "Pass", "End": True}
    path = write_asl(tmp_path, definition)
    result = runner.invoke(cli, ["validate", "--asl", str(path), *ASL_ONLY[:-1]])
    assert result.exit_code == 1
    assert "state 'Orphan' is not reachable from StartAt" in result.stdout
    assert "1 check(s) failed" in result.stdout
