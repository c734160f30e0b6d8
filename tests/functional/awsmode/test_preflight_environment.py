"""Preflight that knows the environment: the region comes from AWS_REGION as the AWS CLI and
Terraform take it, credentials from boto3's chain; a read command never creates a home."""

from __future__ import annotations

from pathlib import Path

import pytest
from moto import mock_aws
from typer.testing import CliRunner

from senso_cli.app import app
from senso_cli.aws.session import AwsClients
from senso_cli.errors import ConfigurationError
from senso_cli.services.environments import check_access, dump_toml

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture
def bare_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_aws_region_is_honoured_like_the_aws_cli(
    bare_aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigurationError, match="no AWS region"):
        check_access(AwsClients(), "prod")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    clients = AwsClients()
    check_access(clients, "prod")
    assert clients.region_name == "eu-west-1"  # AWS_REGION first, as the AWS CLI does
    assert AwsClients(region="ap-south-1").region_name == "ap-south-1"  # the config wins
    monkeypatch.delenv("AWS_REGION")
    assert AwsClients().region_name == "us-east-1"  # boto3's own AWS_DEFAULT_REGION


def test_an_environment_without_a_region_runs_on_aws_region(
    bare_aws: None, senso_home: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("SENSO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    senso_home.mkdir(parents=True)
    values = {"rollout_parameter_name": "/senso/prod/rollout"}
    (senso_home / "config.toml").write_text(dump_toml({"environments": {"prod": values}}))
    with mock_aws():
        result = runner.invoke(app, ["--env", "prod", "rollback", "--yes", "--json"])
    # Not "no AWS region": the rollback reached SSM (and only then the database is needed).
    assert "no AWS region" not in result.output, result.output
    assert '"changed": true' in result.output, result.output


@pytest.mark.parametrize(
    "command",
    [["status"], ["orgs", "list"], ["compare", "--since", "1d"], ["rollout", "status"]],
)
def test_a_read_command_never_creates_a_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner, command: list[str]
) -> None:
    monkeypatch.delenv("SENSO_DATABASE_URL", raising=False)
    typo = tmp_path / "senso-hmoe"
    result = runner.invoke(app, ["--home", str(typo), *command])
    assert result.exit_code == 2, result.output
    assert f"no senso home at {typo}" in result.output
    assert not typo.exists()
