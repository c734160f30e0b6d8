"""Fixtures for the migration toolkit tests: moto in-process and a CLI app to invoke."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from moto import mock_aws

from senso_cli.commands import compare as compare_command
from senso_cli.commands import rollout as rollout_command
from senso_cli.errors import SensoGroup

REGION = "us-east-1"


@pytest.fixture
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with mock_aws():
        yield


@pytest.fixture
def cli() -> typer.Typer:
    """The migration commands on a root group like senso's (the lead registers them there)."""
    app = typer.Typer(cls=SensoGroup, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Test root."""

    app.command("compare")(compare_command.compare)
    app.add_typer(rollout_command.app, name="rollout")
    app.command("rollback")(rollout_command.rollback)
    return app
