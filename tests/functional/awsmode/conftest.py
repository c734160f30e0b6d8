"""Fixtures for the AWS-mode commands: moto in-process, a configured test environment, seeded
orgs with schedules, and a test-local `senso` app with the new commands registered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import boto3
import pytest
import typer
from moto import mock_aws

from handlers.db.database import Database
from handlers.orgdata.importer import import_orgs, parse_org_document
from handlers.repositories.orgs import OrgRepository
from senso_cli.commands import env as env_commands
from senso_cli.commands.logs import logs
from senso_cli.commands.redrive import redrive
from senso_cli.commands.status import status
from senso_cli.commands.trigger import trigger
from senso_cli.commands.trigger_batch import trigger_batch
from senso_cli.context import AppState
from senso_cli.errors import SensoGroup
from senso_cli.services.environments import dump_toml

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/senso-sfn"
PASS_DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
HANDLER_GROUP = "/senso/test/handlers"
SFN_GROUP = "/aws/vendedlogs/states/senso-test"
REPO_ROOT = Path(__file__).resolve().parents[3]
ENV = "test"


def build_app() -> typer.Typer:
    """The commands under test, registered the way senso_cli/app.py will register them."""
    app = typer.Typer(cls=SensoGroup, pretty_exceptions_enable=False, no_args_is_help=True)

    @app.callback()
    def root(
        ctx: typer.Context,
        home: Annotated[Path | None, typer.Option()] = None,
        env: Annotated[str | None, typer.Option("--env")] = None,
    ) -> None:
        ctx.obj = ctx.obj if isinstance(ctx.obj, AppState) else AppState()  # a test's clock
        ctx.obj.flags.update({"home": home, "env": env})

    app.add_typer(env_commands.app, name="env")
    app.command("trigger")(trigger)
    app.command("status")(status)
    app.command("redrive")(redrive)
    app.command("trigger-batch")(trigger_batch)
    app.command("logs")(logs)
    return app


@pytest.fixture(scope="session")
def app() -> typer.Typer:
    return build_app()


@pytest.fixture
def aws_creds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def mocked(aws_creds: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def sfn_client(mocked: None) -> Any:
    return boto3.client("stepfunctions", region_name=REGION)


@pytest.fixture
def state_machine_arn(sfn_client: Any) -> str:
    response = sfn_client.create_state_machine(
        name="senso-test-org-evaluation", definition=PASS_DEFINITION, roleArn=ROLE_ARN
    )
    return str(response["stateMachineArn"])


def write_environment(home: Path, name: str = ENV, **values: Any) -> Path:
    path = home / "config.toml"
    home.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_toml({"environments": {name: values}}))
    return path


@pytest.fixture
def dispatcher_arn(sfn_client: Any, state_machine_arn: str) -> str:
    """The dispatcher state machine as Terraform deploys it (moto records its executions)."""
    definition = (REPO_ROOT / "asl" / "dispatcher-workflow.json").read_text()
    response = sfn_client.create_state_machine(
        name="senso-test-dispatcher",
        definition=definition.replace("${org_state_machine_arn}", state_machine_arn),
        roleArn=ROLE_ARN,
    )
    return str(response["stateMachineArn"])


@pytest.fixture
def aws_env(
    cli_env: Database, senso_home: Path, state_machine_arn: str, dispatcher_arn: str
) -> dict[str, Any]:
    """Environment `test` in the config file, pointing at moto and at this test's database."""
    logs_client = boto3.client("logs", region_name=REGION)
    logs_client.create_log_group(logGroupName=HANDLER_GROUP)
    logs_client.create_log_group(logGroupName=SFN_GROUP)
    values = {
        "region": REGION,
        "state_machine_arn": state_machine_arn,
        "dispatcher_state_machine_arn": dispatcher_arn,
        "handler_log_group": HANDLER_GROUP,
        "state_machine_log_group": SFN_GROUP,
        "database_url": cli_env.url,
    }
    write_environment(senso_home, **values)
    return values


def org_yaml(slug: str, schedule: list[str] | None = None) -> str:
    days = ", ".join(schedule or [])
    return f"""
slug: {slug}
name: {slug.title()} Credit Union
partner: {{slug: p1, name: Partner One}}
websites: ["https://{slug}.example"]
questions: ["Which credit union is best for car loans?"]
models: [gpt-4.1]
locations: [US]
schedule: [{days}]
credits: 100
"""


def seed(db: Database, slug: str, schedule: list[str] | None = None) -> UUID:
    import_orgs(db, parse_org_document(org_yaml(slug, schedule), source=f"{slug}.yaml"))
    return OrgRepository(db).get(slug).org_id


@pytest.fixture
def moto_like_server(aws_creds: None) -> Iterator[str]:
    """A plain moto server (no interpreter) for subprocesses that need real endpoints."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
