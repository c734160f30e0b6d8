"""SSM, Scheduler, Secrets Manager, ECS wrappers and the client factory, against moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from senso_cli.aws.ecs import Ecs
from senso_cli.aws.errors import AwsInvalidRequestError, AwsNotFoundError
from senso_cli.aws.scheduler import Schedules
from senso_cli.aws.secrets import Secrets
from senso_cli.aws.session import AwsClients
from senso_cli.aws.ssm import Parameters

REGION = "us-east-1"
ROLLOUT = "/senso/prod/rollout/state"


@pytest.fixture
def clients(mocked_aws: None) -> AwsClients:
    return AwsClients(region=REGION)


def test_parameters_put_get_and_history(clients: AwsClients) -> None:
    parameters = Parameters(clients.ssm())
    assert parameters.find(ROLLOUT) is None

    assert parameters.put(ROLLOUT, '{"phase": "canary"}', overwrite=False) == 1
    assert parameters.put(ROLLOUT, '{"phase": "half"}') == 2
    assert parameters.put(ROLLOUT, '{"phase": "all"}', description="rollout state") == 3

    current = parameters.get(ROLLOUT)
    assert (current.value, current.version) == ('{"phase": "all"}', 3)
    history = parameters.history(ROLLOUT)
    assert [(v.version, v.value) for v in history] == [
        (1, '{"phase": "canary"}'),
        (2, '{"phase": "half"}'),
        (3, '{"phase": "all"}'),
    ]
    assert history[-1].description == "rollout state"


def test_parameter_create_only_refuses_to_overwrite(clients: AwsClients) -> None:
    parameters = Parameters(clients.ssm())
    parameters.put(ROLLOUT, "first")
    with pytest.raises(AwsInvalidRequestError, match="ssm:PutParameter failed"):
        parameters.put(ROLLOUT, "second", overwrite=False)
    assert parameters.get(ROLLOUT).value == "first"
    with pytest.raises(AwsNotFoundError):
        parameters.get("/senso/prod/nope")
    with pytest.raises(AwsNotFoundError):
        parameters.history("/senso/prod/nope")


def make_schedule(client: Any, name: str, state: str = "ENABLED") -> None:
    client.create_schedule(
        Name=name,
        ScheduleExpression="cron(0 6 * * ? *)",
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": "arn:aws:states:us-east-1:123456789012:stateMachine:senso-org-eval",
            "RoleArn": "arn:aws:iam::123456789012:role/senso-scheduler",
            "Input": '{"batch": "daily"}',
        },
        State=state,
    )


def test_schedules_disable_and_enable_keep_the_rest(clients: AwsClients) -> None:
    raw = clients.scheduler()
    make_schedule(raw, "senso-daily")
    make_schedule(raw, "senso-weekly")
    schedules = Schedules(raw)

    assert schedules.disable("senso-daily") == "ENABLED"
    assert schedules.get("senso-daily").state == "DISABLED"
    assert schedules.get("senso-weekly").state == "ENABLED"
    assert schedules.disable("senso-daily") == "DISABLED"  # already off: no update
    assert schedules.enable("senso-daily") == "DISABLED"

    after = raw.get_schedule(Name="senso-daily")
    assert after["State"] == "ENABLED"
    assert after["ScheduleExpression"] == "cron(0 6 * * ? *)"
    assert after["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert after["Target"]["Input"] == '{"batch": "daily"}'
    assert schedules.list_names(prefix="senso-") == ["senso-daily", "senso-weekly"]


def test_unknown_schedule_is_not_found(clients: AwsClients) -> None:
    with pytest.raises(AwsNotFoundError):
        Schedules(clients.scheduler()).disable("senso-nope")


def test_secrets_report_names_not_values(clients: AwsClients) -> None:
    raw = clients.secretsmanager()
    raw.create_secret(Name="senso/prod/openai", SecretString="sk-secret", Description="key")
    raw.create_secret(Name="senso/prod/db", SecretString="postgres://x")
    raw.create_secret(Name="other/thing", SecretString="y")
    secrets = Secrets(raw)

    info = secrets.describe("senso/prod/openai")
    assert (info.name, info.description, info.deleted) == ("senso/prod/openai", "key", False)
    assert "sk-secret" not in repr(info)
    assert secrets.exists("senso/prod/db")
    assert not secrets.exists("senso/prod/nope")
    assert secrets.list_names(prefix="senso/") == ["senso/prod/db", "senso/prod/openai"]
    assert secrets.get_secret_value("senso/prod/openai") == "sk-secret"


def test_ecs_tasks_run_list_describe_stop(clients: AwsClients) -> None:
    raw = clients.ecs()
    raw.create_cluster(clusterName="senso")
    raw.register_task_definition(
        family="senso-worker",
        containerDefinitions=[{"name": "worker", "image": "senso:latest", "memory": 512}],
    )
    ecs = Ecs(raw)
    # moto needs a container instance to place EC2 tasks on.
    ec2 = boto3.client("ec2", region_name=REGION)
    # Any AMI id will do: moto does not validate them unless asked to.
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
    document = {
        "instanceId": instance["InstanceId"],
        "region": REGION,
        "availabilityZone": "us-east-1a",
    }
    raw.register_container_instance(cluster="senso", instanceIdentityDocument=json.dumps(document))

    started = ecs.run_task(cluster="senso", taskDefinition="senso-worker", startedBy="senso-test")
    assert started["failures"] == []
    arn = started["tasks"][0]["taskArn"]

    assert ecs.list_tasks("senso", started_by="senso-test") == [arn]
    assert [task["taskArn"] for task in ecs.describe_tasks("senso", [arn])] == [arn]
    stopped = ecs.stop_task("senso", arn, reason="senso rollback")
    assert stopped["stoppedReason"] == "senso rollback"
    assert ecs.describe_tasks("senso", []) == []


def test_clients_are_built_once_and_lazily(mocked_aws: None) -> None:
    clients = AwsClients(region="eu-west-1")
    assert clients.region_name == "eu-west-1"
    assert clients.logs() is clients.logs()
    assert clients.logs().meta.region_name == "eu-west-1"
    assert clients.stepfunctions().meta.service_model.service_name == "stepfunctions"


def test_endpoint_url_reaches_every_client(aws_env: None) -> None:
    clients = AwsClients(region=REGION, endpoint_url="http://127.0.0.1:5999")
    assert clients.ssm().meta.endpoint_url == "http://127.0.0.1:5999"
    assert clients.scheduler().meta.endpoint_url == "http://127.0.0.1:5999"
