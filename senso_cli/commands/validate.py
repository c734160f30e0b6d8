"""`senso validate`: the static checks to run before a deploy (and in CI with --json)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from handlers.errors import InvalidInputError
from handlers.runtime import providers_config
from handlers.steps.base import load_all
from senso_cli.aws.secrets import Secrets
from senso_cli.aws.session import AwsClients
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.local.definition import asl_path
from senso_cli.output import out, print_json
from senso_cli.services import validate as service
from senso_cli.settings import EnvironmentSettings

CHECKOUT = Path(__file__).resolve().parents[2]
MARKS = {"pass": "[green]pass[/]", "fail": "[bold red]FAIL[/]", "skip": "[dim]skip[/]"}


def default_terraform_dir() -> Path:
    return CHECKOUT / "infra" / "terraform"


def default_dockerfile() -> Path:
    return CHECKOUT / "Dockerfile"


def secrets_for(environment: EnvironmentSettings) -> Secrets:
    clients = AwsClients(
        region=environment.region,
        profile=environment.profile,
        endpoint_url=environment.endpoint_url,
    )
    return Secrets(clients.secretsmanager())


def validate(
    ctx: typer.Context,
    env: Annotated[
        str | None,
        typer.Option("--env", help="Also check this AWS environment's settings and secret."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON (for CI).")] = False,
    asl: Annotated[
        Path | None, typer.Option("--asl", help="State machine document (default: asl/).")
    ] = None,
    terraform_dir: Annotated[
        Path | None,
        typer.Option("--terraform-dir", help="Terraform stack (default: infra/terraform)."),
    ] = None,
    dockerfile: Annotated[
        Path | None,
        typer.Option("--dockerfile", help="Dockerfile to lint (default: ./Dockerfile)."),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Skip a group: asl, handlers, terraform, docker, env."),
    ] = None,
) -> None:
    """Check the state machine, the step handlers, Terraform, the Dockerfile and (with --env)
    the AWS environment, each with pass/fail and a reason.

    Terraform runs offline (providers from the machine's mirror) on a temporary copy, so nothing
    is written to the repository. Secrets are checked by name and metadata only; no value is
    read. Exit 0 when every check passes, 1 when any fails, 2 on bad usage.
    """
    unknown = sorted(set(skip or []) - set(service.GROUPS))
    if unknown:
        raise InvalidInputError(
            f"unknown --skip group {', '.join(unknown)}",
            hint=f"groups: {', '.join(service.GROUPS)}",
        )
    settings = state(ctx).loaded.settings
    env_name = env or settings.env
    request = service.ValidateRequest(
        asl_path=asl or asl_path(),
        terraform_dir=terraform_dir or default_terraform_dir(),
        dockerfile=dockerfile or default_dockerfile(),
        env_name=env_name,
        environment=settings.environment(env_name),
        skip=frozenset(skip or []),
        # terraform and hadolint are subprocesses: they see the operator's environment.
        base_env=dict(os.environ),
        matrix_budget=service.MatrixBudget(
            providers=providers_config(settings), budget_s=settings.cell_retry.budget_s
        ),
    )
    report = service.run_checks(
        request, registered=lambda: sorted(load_all()), secrets_for=secrets_for
    )
    if json_output:
        print_json(report.as_dict())
    else:
        table = Table(title="senso validate", expand=False)
        for column in ("check", "result", "reason"):
            table.add_column(column, overflow="fold")
        for check in report.checks:
            reason = check.reason
            if len(check.details) > 1:
                reason = "\n".join(check.details)
            table.add_row(check.name, MARKS[check.status], reason)
        out.print(table)
        failed = sum(check.status == "fail" for check in report.checks)
        out.print("all checks passed" if report.ok else f"[bold red]{failed} check(s) failed[/]")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
