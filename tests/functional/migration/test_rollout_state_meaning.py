"""One rollout state with one meaning: status, dry run, router and rollback agree before any
rollout is recorded, locally and on a freshly applied stack (Terraform's `{"percent":0}`)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from senso_cli.aws.ssm import Parameters
from senso_cli.migration.rollout_state import PostgresRolloutStore, SsmRolloutStore
from senso_cli.services.environments import dump_toml
from senso_cli.services.routing import decide
from tests.functional.migration.synthetic import make_org

PARAMETER = "/senso/prod/rollout"
# infra/terraform/variables.tf: rollout_initial_value's default, what a fresh stack holds.
TERRAFORM_INITIAL = '{"percent":0}'


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_fresh_home_status_dry_run_and_router_agree_and_rollback_records_zero(
    cli_env: Database, runner: CliRunner
) -> None:
    org = make_org(cli_env, "acme")
    code, output = run(runner, "rollout", "status", "--json")
    assert code == 0, output
    status = json.loads(output)
    # The local default (rollout.local_percent = 100): the quick start runs the state machine.
    assert status["state"]["percent"] == 100 and status["state"]["recorded"] is False
    assert "no rollout recorded yet" in status["stage"]
    code, output = run(runner, "rollout", "--percent", "100", "--dry-run")
    assert code == 0 and "already at 100%" in output, output
    store_cmd = run(runner, "rollout", "--percent", "0", "--dry-run")
    assert "100% -> 0%" in store_cmd[1], store_cmd

    code, output = run(runner, "rollback", "--yes", "--reason", "drill day 1")
    assert code == 0, output
    assert "rolled back" in output and "nothing to change" not in output
    code, output = run(runner, "rollout", "status", "--json")
    state = json.loads(output)["state"]
    assert state["percent"] == 0 and state["recorded"] is True
    last = state["history"][-1]
    assert last["kind"] == "rollback" and last["reason"] == "drill day 1" and last["updated_by"]
    # The router reads the same state: 0% recorded sends the org to Inngest.
    store = PostgresRolloutStore(cli_env, initial_percent=100)
    assert decide(store, str(org.org_id), None).target == "inngest"
    code, output = run(runner, "rollback", "--yes")
    assert code == 0 and "nothing to change: already rolled back" in output, output


def test_local_initial_percent_is_configurable_and_routes_accordingly(
    cli_env: Database, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_org(cli_env, "acme")
    monkeypatch.setenv("SENSO_ROLLOUT_LOCAL_PERCENT", "0")
    code, output = run(runner, "rollout", "status")
    assert code == 0 and "stage: 0% (all orgs on Inngest); no rollout recorded yet" in output
    # An initial 0% is not a recorded 0%: rollback still records who, when and why.
    code, output = run(runner, "rollback", "--yes")
    assert code == 0 and "rolled back" in output and "already" not in output.splitlines()[0]
    code, output = run(runner, "rollout", "status", "--json")
    last = json.loads(output)["state"]["history"][-1]
    assert last["kind"] == "rollback" and last["reason"] == "senso rollback (no --reason given)"


@pytest.fixture
def prod_env(cli_env: Database, senso_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment `prod` on moto with the parameter exactly as Terraform creates it."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    senso_home.mkdir(parents=True, exist_ok=True)
    values = {
        "region": "us-east-1",
        "rollout_parameter_name": PARAMETER,
        "database_url": cli_env.url,
    }
    (senso_home / "config.toml").write_text(dump_toml({"environments": {"prod": values}}))


def test_terraform_initial_value_is_a_valid_zero_stage(
    prod_env: None, cli_env: Database, runner: CliRunner
) -> None:
    from moto import mock_aws

    with mock_aws():
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name=PARAMETER, Value=TERRAFORM_INITIAL, Type="String")
        org = make_org(cli_env, "acme")
        code, output = run(runner, "--env", "prod", "rollout", "status")
        assert code == 0, output
        assert "stage: 0% (all orgs on Inngest); no rollout recorded yet" in output
        code, output = run(runner, "--env", "prod", "rollout", "--percent", "10", "--dry-run")
        assert code == 0 and "0% -> 10%" in output, output
        store = SsmRolloutStore(Parameters(ssm), PARAMETER)
        assert decide(store, str(org.org_id), None).target == "inngest"

        code, output = run(runner, "--env", "prod", "rollback", "--yes", "--reason", "drill")
        assert code == 0, output
        assert "INCOMPLETE" not in output and "rolled back" in output
        state = store.load()
        assert state.recorded and state.percent == 0 and state.history[-1].kind == "rollback"
        assert state.history[-1].reason == "drill" and state.history[-1].version == 2
        code, output = run(runner, "--env", "prod", "rollback", "--yes")
        assert code == 0 and "nothing to change: already rolled back" in output, output


def test_aws_environment_without_a_recorded_rollout_runs_on_inngest(prod_env: None) -> None:
    from moto import mock_aws

    with mock_aws():
        store = SsmRolloutStore(Parameters(boto3.client("ssm", region_name="us-east-1")), PARAMETER)
        state = store.load()
        assert state.percent == 0 and not state.recorded
        decision = decide(store, "00000000-0000-0000-0000-000000000001", None)
        assert decision.target == "inngest" and "no rollout recorded yet" in decision.reason
