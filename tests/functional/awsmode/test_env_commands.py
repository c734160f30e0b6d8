"""`senso env ...`: import from Terraform, list, show, use; missing region or credentials."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from senso_cli.services.environments import dump_toml
from tests.functional.awsmode.conftest import write_environment

OUTPUTS = {
    "region": {"value": "eu-west-1", "type": "string", "sensitive": False},
    "state_machine_arn": {
        "value": "arn:aws:states:eu-west-1:123456789012:stateMachine:senso-prod-org-evaluation"
    },
    "cluster_arn": {"value": "arn:aws:ecs:eu-west-1:123456789012:cluster/senso-prod"},
    "task_definition_arn": {
        "value": "arn:aws:ecs:eu-west-1:123456789012:task-definition/senso-prod-step-handler:3"
    },
    "container_name": {"value": "handlers"},
    "subnet_ids": {"value": ["subnet-1", "subnet-2"], "type": ["list", "string"]},
    "security_group_id": {"value": "sg-123"},
    "handler_log_group": {"value": "/senso/prod/handlers"},
    "state_machine_log_group": {"value": "/aws/vendedlogs/states/senso-prod"},
    "rollout_parameter_name": {"value": "/senso/prod/rollout"},
    "dispatcher_schedule_name": {"value": "senso-prod-dispatcher"},
    "rollback_schedule_name": {"value": "senso-prod-rollback-guard"},
    "secret_arn": {"value": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:senso-x"},
    "ecr_repository_url": {"value": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/senso"},
    "sns_topic_arn": {"value": "arn:aws:sns:eu-west-1:123456789012:senso-alarms"},
}


def fake_terraform(bin_dir: Path, outputs: dict[str, Any], *, exit_code: int = 0) -> None:
    """A `terraform` on PATH that prints `outputs` for `output -json` (and records its args)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    payload = bin_dir / "outputs.json"
    payload.write_text(json.dumps(outputs))
    script = bin_dir / "terraform"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" > "{bin_dir}/args"\n'
        + (
            f'echo "Error: No state file was found!" >&2\nexit {exit_code}\n'
            if exit_code
            else f'cat "{payload}"\n'
        )
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def tf_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    return bin_dir


def test_import_terraform_fills_the_environment_and_keeps_other_fields(
    app: typer.Typer, runner: CliRunner, senso_home: Path, tf_path: Path, tmp_path: Path
) -> None:
    fake_terraform(tf_path, OUTPUTS)
    write_environment(senso_home, "prod", profile="ops", database_url="postgresql://u:pw@h/db")
    tf_dir = tmp_path / "infra"
    tf_dir.mkdir()

    result = runner.invoke(app, ["env", "import-terraform", "--dir", str(tf_dir), "--name", "prod"])

    assert result.exit_code == 0, result.output
    assert "state_machine_arn = arn:aws:states:eu-west-1" in result.output
    assert "pw" not in result.output
    assert (tf_path / "args").read_text().split() == [f"-chdir={tf_dir}", "output", "-json"]
    config = tomllib.loads((senso_home / "config.toml").read_text())
    prod = config["environments"]["prod"]
    assert prod["region"] == "eu-west-1"
    assert prod["subnet_ids"] == ["subnet-1", "subnet-2"]
    assert prod["profile"] == "ops" and prod["database_url"] == "postgresql://u:pw@h/db"
    assert "sns_topic_arn" not in prod  # not an environment setting

    listed = json.loads(runner.invoke(app, ["env", "list", "--json"]).output)
    assert [(row["name"], row["active"]) for row in listed] == [("local", True), ("prod", False)]

    used = runner.invoke(app, ["env", "use", "prod"])
    assert used.exit_code == 0, used.output
    assert tomllib.loads((senso_home / "config.toml").read_text())["env"] == "prod"

    shown = runner.invoke(app, ["env", "show", "--json"])
    data = json.loads(shown.output)
    assert data["name"] == "prod" and data["database_url"] == "********"
    assert "pw" not in shown.output


def test_use_of_an_unknown_environment_names_the_known_ones(
    app: typer.Typer, runner: CliRunner, senso_home: Path
) -> None:
    write_environment(senso_home, "staging", region="us-east-1")
    result = runner.invoke(app, ["env", "use", "prod"])
    assert result.exit_code == 2
    assert "unknown environment 'prod' (known: staging)" in result.output


def test_missing_terraform_is_a_clear_error(
    app: typer.Typer, runner: CliRunner, senso_home: Path, tf_path: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["env", "import-terraform", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "`terraform` is not on PATH" in result.output
    assert "hint: install Terraform" in result.output
    assert "Traceback" not in result.output


def test_failed_terraform_is_a_clear_error(
    app: typer.Typer, runner: CliRunner, senso_home: Path, tf_path: Path, tmp_path: Path
) -> None:
    fake_terraform(tf_path, {}, exit_code=1)
    result = runner.invoke(app, ["env", "import-terraform", "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "failed in" in result.output and "No state file was found" in result.output
    assert "terraform init" in result.output


def test_outputs_without_region_need_one(
    app: typer.Typer, runner: CliRunner, senso_home: Path, tf_path: Path, tmp_path: Path
) -> None:
    fake_terraform(tf_path, {k: v for k, v in OUTPUTS.items() if k != "region"})
    result = runner.invoke(app, ["env", "import-terraform", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "no region" in result.output
    ok = runner.invoke(
        app, ["env", "import-terraform", "--dir", str(tmp_path), "--region", "us-west-2"]
    )
    assert ok.exit_code == 0, ok.output
    config = tomllib.loads((senso_home / "config.toml").read_text())
    assert config["environments"]["prod"]["region"] == "us-west-2"


def test_missing_region_prints_how_to_fix_it(
    app: typer.Typer, runner: CliRunner, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    write_environment(senso_home, "prod", state_machine_arn="arn:aws:states:x:1:stateMachine:m")
    result = runner.invoke(app, ["--env", "prod", "status"])
    assert result.exit_code == 2
    assert "no AWS region for environment 'prod'" in result.output
    assert "environments.prod.region" in result.output
    assert "Traceback" not in result.output


def test_missing_credentials_prints_how_to_fix_it(
    app: typer.Typer, runner: CliRunner, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    write_environment(senso_home, "prod", region="eu-west-1")
    result = runner.invoke(app, ["--env", "prod", "trigger", "--org", "acme", "--no-wait"])
    assert result.exit_code == 2
    assert "no AWS credentials for environment 'prod'" in result.output
    assert "aws sso login" in result.output


def test_unknown_profile_is_a_configuration_error(
    app: typer.Typer, runner: CliRunner, senso_home: Path
) -> None:
    write_environment(senso_home, "prod", region="eu-west-1", profile="nope")
    result = runner.invoke(app, ["--env", "prod", "status"])
    assert result.exit_code == 2
    assert "AWS profile not found: nope" in result.output


def test_dump_toml_round_trips_the_config_shapes() -> None:
    data: dict[str, Any] = {
        "env": "prod",
        "matrix_concurrency": 4,
        "time_scale": 0.5,
        "providers": {"openai": {"base_url": 'http://x/"q"\\n'}},
        "environments": {
            "prod": {"region": "eu-west-1", "subnet_ids": ["a", "b"], "inngest": {"api_url": "u"}},
            "my env": {"region": "ü-1", "flag": True},
        },
    }
    assert tomllib.loads(dump_toml(data)) == data
