"""Fixtures for the delivery commands (validate, cost-estimate, deploy): a test-local Typer app
that registers them the way senso_cli/app.py will, and copies of the repository's files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import typer

from senso_cli.commands.cost import cost_estimate
from senso_cli.commands.deploy import deploy
from senso_cli.commands.validate import validate
from senso_cli.context import AppState
from senso_cli.errors import SensoGroup
from senso_cli.local.definition import asl_path

# moto's server with the two Step Functions actions terraform needs (the infra harness).
from tests.infra.conftest import moto_server  # noqa: F401 - a fixture, used by test_deploy

REPO = Path(__file__).resolve().parents[3]


def make_app() -> typer.Typer:
    app = typer.Typer(cls=SensoGroup, pretty_exceptions_enable=False, no_args_is_help=True)

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = AppState(flags={})

    app.command("validate")(validate)
    app.command("cost-estimate")(cost_estimate)
    app.command("deploy")(deploy)
    return app


@pytest.fixture
def cli() -> typer.Typer:
    return make_app()


@pytest.fixture
def definition() -> dict[str, Any]:
    """A fresh copy of the real state machine document, to break in one place."""
    return copy.deepcopy(json.loads(asl_path().read_text()))


def write_asl(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(document, indent=2))
    return path


def checks_by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in json.loads(stdout)["checks"]}
