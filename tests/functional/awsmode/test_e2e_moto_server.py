"""End to end on moto's *server*: the real asl/ document, `senso trigger --env`, and a test-side
task runner that plays ECS by running `python -m handlers STEP` for every task the state
machine starts. The execution must reach SUCCEEDED with the batch completed in PostgreSQL.

moto 5.2's gaps are filled here, in the harness only; each patch says what it works around.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
import requests
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.local.definition import asl_path
from tests.functional.awsmode.conftest import ENV, REGION, seed, write_environment

CONTAINER = "handlers"
ROLE_ARN = "arn:aws:iam::123456789012:role/senso-sfn"
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _patch_moto_ecs_integration(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's ECS service integration hands the ASL's parameters to boto3 as written
    ("Cluster", "Overrides", ...) because StateTaskService._normalise_parameters and
    _normalise_response are no-ops in moto (LocalStack, which it derives from, maps them
    through the botocore shapes). boto3 then drops the unknown keys and the task fails with
    `'Cluster'`. Do that mapping here, with the interpreter's own helpers."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_ecs as ecs_module,
    )

    service_model = botocore.session.get_session().get_service_model("ecs")

    def normalise_parameters(
        self: Any,
        parameters: dict[str, Any],
        boto_service_name: Any = None,
        service_action_name: Any = None,
    ) -> None:
        action = self._get_boto_service_action(service_action_name)
        operation = service_model.operation_model(_operation_name(action))
        self._to_boto_request(parameters, operation.input_shape)

    def normalise_response(
        self: Any, response: Any, _service: Any = None, service_action_name: Any = None
    ) -> None:
        if not service_action_name:
            return  # the task's final output (the callback's) is already the handler's JSON
        operation = service_model.operation_model(_operation_name(service_action_name))
        self._from_boto_response(response, operation.output_shape)

    cls = ecs_module.StateTaskServiceEcs
    monkeypatch.setattr(cls, "_normalise_parameters", normalise_parameters)
    monkeypatch.setattr(cls, "_normalise_response", normalise_response)


def _operation_name(snake: str) -> str:
    return "".join(part.title() for part in snake.split("_"))


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch, aws_creds: None) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    # The interpreter's own boto3 clients (boto_client_for) call localhost:MOTO_PORT.
    monkeypatch.setenv("MOTO_PORT", str(port))
    _patch_moto_ecs_integration(monkeypatch)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    response = requests.post(
        f"{url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=10,
    )
    response.raise_for_status()
    try:
        yield url
    finally:
        # The switch is process-global in moto: leave the in-process mock_aws tests as found.
        requests.post(
            f"{url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": False}},
            timeout=10,
        )
        server.stop()


def _client(service: str, url: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, **_keys())


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _infrastructure(url: str) -> dict[str, str]:
    ec2 = _client("ec2", url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc tasks need a VPC with DNS hostnames enabled.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="handlers", Description="h", VpcId=vpc)["GroupId"]
    ecs = _client("ecs", url)
    cluster = ecs.create_cluster(clusterName="senso-e2e")["cluster"]["clusterArn"]
    task_definition = ecs.register_task_definition(
        family="senso-e2e-step-handler",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        # moto's run_task crashes on Fargate task definitions without container-level memory.
        containerDefinitions=[
            {"name": CONTAINER, "image": "senso:test", "memory": 512, "essential": True}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    template = asl_path().read_text()
    definition = (
        template.replace("${cluster_arn}", cluster)
        .replace("${task_definition_arn}", task_definition)
        .replace("${container_name}", CONTAINER)
        .replace("${subnet_ids}", subnet)
        .replace("${security_group_ids}", group)
    )
    machine = _client("stepfunctions", url).create_state_machine(
        name="senso-e2e-org-evaluation", definition=definition, roleArn=ROLE_ARN
    )["stateMachineArn"]
    return {"cluster": cluster, "state_machine_arn": machine}


class TaskRunner:
    """Plays Fargate: every RUNNING task in the cluster is one `python -m handlers STEP`, run
    with the task's container overrides (step name, input, task token) as ECS would."""

    def __init__(self, url: str, cluster: str, db: Database, home: Path) -> None:
        self.url, self.cluster, self.db, self.home = url, cluster, db, home
        self.ecs = _client("ecs", url)
        self.steps: list[str] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TaskRunner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(0.1):
            arns = self.ecs.list_tasks(cluster=self.cluster, desiredStatus="RUNNING")["taskArns"]
            if not arns:
                continue
            for task in self.ecs.describe_tasks(cluster=self.cluster, tasks=arns)["tasks"]:
                self._run(task)

    def _run(self, task: dict[str, Any]) -> None:
        override = task["overrides"]["containerOverrides"][0]
        env = {item["name"]: item["value"] for item in override.get("environment", [])}
        step = override["command"][0]
        self.steps.append(step)
        child_env = {
            **os.environ,
            **env,
            **FAKE_AWS,
            "SENSO_DATABASE_URL": self.db.url,
            "SENSO_HOME": str(self.home),
            "SENSO_TIME_SCALE": "0",
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": REGION,
        }
        proc = subprocess.run(
            [sys.executable, "-m", "handlers", step],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            self.failures.append(f"{step}: exit {proc.returncode}: {proc.stderr[-2000:]}")
        self.ecs.stop_task(cluster=self.cluster, task=task["taskArn"], reason="step finished")


@pytest.mark.slow
def test_trigger_runs_the_real_workflow_on_moto_server(
    app: typer.Typer,
    runner: CliRunner,
    moto_server: str,
    cli_env: Database,
    senso_home: Path,
    tmp_path: Path,
) -> None:
    infra = _infrastructure(moto_server)
    org_id = seed(cli_env, "acme")
    write_environment(
        senso_home,
        region=REGION,
        endpoint_url=moto_server,
        state_machine_arn=infra["state_machine_arn"],
        database_url=cli_env.url,
    )
    with TaskRunner(moto_server, infra["cluster"], cli_env, tmp_path / "task-home") as tasks:
        result = runner.invoke(
            app,
            [
                "--env",
                ENV,
                "trigger",
                "--org",
                "acme",
                "--wait",
                "--json",
                "--poll-interval",
                "0.2",
            ],
        )
    assert not tasks.failures, tasks.failures
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout[result.stdout.index("{") :])
    assert data["status"] == "SUCCEEDED", data
    assert tasks.steps == [
        "GetOrCreateBatch",
        "CheckBalance",
        "StartBatchProcessing",
        "RunQuestionMatrixWithEvaluation",
        "TrackUsage",
        "CompleteBatch",
    ]
    with cli_env.connect() as conn:
        batch = conn.execute(
            "SELECT b.status, s.execution_id FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id) WHERE b.org_id = %s",
            (org_id,),
        ).fetchone()
    assert batch is not None and batch["status"] == "completed"
    assert batch["execution_id"] == data["execution_arn"]
    assert data["batch"]["completed"] == data["batch"]["cells"] == 1
