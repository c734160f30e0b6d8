"""`senso deploy` with a fake `docker` on PATH that records its calls, and the real terraform
against moto's server (the infra harness's moto_server, with its Step Functions patches)."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from senso_cli.services import terraform as tf
from tests.functional.delivery.conftest import REPO
from tests.infra.harness import AWS_SERVICES, MotoServer

pytestmark = pytest.mark.slow
# A fake `docker` that records its calls; `push` registers the image in moto's ECR as a real
# push would, so a second deploy can find it there.
FAKE_DOCKER = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if args[0] == "login":
    sys.stdin.read()
if args[0] == "push":
    import boto3
    repository, tag = args[1].split("/", 1)[1].rsplit(":", 1)
    ecr = boto3.client("ecr", endpoint_url=os.environ["FAKE_DOCKER_ECR"], region_name="us-east-1")
    manifest = {{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {{"digest": "sha256:" + "0" * 64, "size": 1}}, "layers": []}}
    ecr.put_image(repositoryName=repository, imageTag=tag, imageManifest=json.dumps(manifest))
"""


def _bin(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def stack(tmp_path: Path, moto_server: MotoServer, senso_home: Path) -> Path:
    """A copy of infra/terraform with a variable file pointing every service at moto."""
    ec2 = moto_server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    directory = tf.copy_stack(REPO / "infra" / "terraform", tmp_path / "repo")
    variables = {
        "environment": "citest",
        "region": "us-east-1",
        "aws_endpoints": {service: moto_server.url for service in AWS_SERVICES},
        "aws_skip_checks": True,
        "vpc_id": vpc,
        "subnet_ids": [subnet],
        "db_cidr_blocks": ["10.42.200.0/24"],
        "secret_recovery_window_days": 0,
    }
    (directory / "citest.tfvars.json").write_text(json.dumps(variables))
    senso_home.mkdir(parents=True, exist_ok=True)
    (senso_home / "config.toml").write_text(
        f'[environments.citest]\nregion = "us-east-1"\nendpoint_url = "{moto_server.url}"\n'
    )
    return directory


def _path_with(folder: Path) -> str:
    return f"{folder}{os.pathsep}{os.environ['PATH']}"


def test_missing_docker_stops_before_anything_changes(
    runner: CliRunner, cli: typer.Typer, stack: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    only_terraform = tmp_path / "only-terraform"
    only_terraform.mkdir()
    (only_terraform / "terraform").symlink_to(tf.find_terraform() or "terraform")
    monkeypatch.setenv("PATH", str(only_terraform))
    result = runner.invoke(
        cli,
        ["deploy", "--env", "citest", "--image-tag", "t1", "--terraform-dir", str(stack), "--yes"],
    )
    assert result.exit_code == 2, result.output
    assert "docker is not on PATH; nothing was built, pushed or applied" in result.output
    assert not (stack / ".terraform").exists()
    assert not (stack / "terraform.tfstate").exists()


def test_plan_then_deploy(
    runner: CliRunner, cli: typer.Typer, stack: Path, tmp_path: Path, senso_home: Path,
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    log = tmp_path / "docker-calls.log"
    fake_bin = tmp_path / "fake-bin"
    _bin(fake_bin, "docker", FAKE_DOCKER.format(log=str(log), python=sys.executable))
    monkeypatch.setenv("PATH", _path_with(fake_bin))
    monkeypatch.setenv("FAKE_DOCKER_ECR", moto_server.url)
    # Terraform's AWS provider would otherwise probe the EC2 metadata service, then time out.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    config_before = (senso_home / "config.toml").read_text()
    common = ["--env", "citest", "--image-tag", "t1", "--terraform-dir", str(stack)]

    # --plan: init and plan only; no image, no state, no ECR repository, no config change.
    planned = runner.invoke(cli, ["deploy", *common, "--plan"])
    assert planned.exit_code == 0, planned.output
    assert "to add, 0 to change, 0 to destroy" in planned.stdout
    assert "create   aws_sfn_state_machine.org_evaluation" in planned.stdout
    assert "--plan: nothing was built, pushed or applied" in planned.stdout
    assert not log.exists()
    assert not (stack / "terraform.tfstate").exists()
    assert moto_server.client("ecr").describe_repositories()["repositories"] == []
    assert (senso_home / "config.toml").read_text() == config_before

    # The deploy: build, ECR repository, login and push, plan, apply, environment refresh.
    deployed = runner.invoke(cli, ["deploy", *common, "--yes"])
    assert deployed.exit_code == 0, deployed.output
    for phase in ("build", "init", "registry", "push", "plan", "apply", "environment"):
        assert f"ok {phase} (" in deployed.output
    calls = log.read_text().splitlines()
    repository = moto_server.client("ecr").describe_repositories()["repositories"][0]
    remote = f"{repository['repositoryUri']}:t1"
    assert calls[0].startswith("buildx build --platform linux/arm64 --load --file ")
    assert calls[1].startswith("login --username AWS --password-stdin ")
    assert calls[2:] == [f"tag senso-handlers:t1 {remote}", f"push {remote}"]
    assert f"deployed {remote} to 'citest' (applied" in deployed.stdout
    machines = moto_server.client("stepfunctions").list_state_machines()["stateMachines"]
    assert sorted(m["name"] for m in machines) == [
        "senso-citest-dispatcher",
        "senso-citest-org-evaluation",
        "senso-citest-task-stopped",
    ]
    evaluation = next(m for m in machines if m["name"] == "senso-citest-org-evaluation")
    environment = tomllib.loads((senso_home / "config.toml").read_text())["environments"]["citest"]
    assert environment["endpoint_url"] == moto_server.url  # kept
    assert environment["state_machine_arn"] == evaluation["stateMachineArn"]
    assert environment["ecr_repository_url"] == repository["repositoryUri"]

    # The same commit again: its image is in ECR (tags are immutable), so nothing is built or
    # pushed, and the plan has nothing to change.
    again = runner.invoke(cli, ["deploy", *common, "--yes"])
    assert again.exit_code == 0, again.output
    assert log.read_text().splitlines() == calls
    assert "skipped build" in again.output and "skipped push" in again.output
    assert f"deployed {remote} to 'citest' (no infrastructure changes" in again.stdout
    images = moto_server.client("ecr").list_images(repositoryName=repository["repositoryName"])
    assert [i.get("imageTag") for i in images["imageIds"]] == ["t1"]
