"""`senso env list|show|use|import-terraform`: the named AWS environments senso drives."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import environments as service

app = typer.Typer(help="Named AWS environments (region, state machine, cluster, logs).")


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOpt = False, env: EnvOpt = None) -> None:
    """The configured environments; `*` marks the default one."""
    rows = service.list_environments(state(ctx).loaded.settings)
    if json_output:
        print_json([row.__dict__ for row in rows])
        return
    table = Table()
    for column in ("", "environment", "region", "state machine"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            "*" if row.active else "", row.name, row.region or "-", row.state_machine_arn or "-"
        )
    out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Environment (default: the active one).")
    ] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Every setting of one environment; secrets are masked."""
    data = service.show_environment(state(ctx).loaded.settings, name)
    if json_output:
        print_json(data)
        return
    table = Table(title=f"environment {data['name']}")
    table.add_column("setting", overflow="fold")
    table.add_column("value", overflow="fold")
    for key, value in _flat(data).items():
        table.add_row(key, "-" if value in (None, [], "") else str(value))
    out.print(table)


def _flat(data: dict[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            flat[f"{prefix}{key}"] = ", ".join(str(v) for v in value)
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@app.command("use")
def use(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Environment, or `local`.", show_default=False)],
) -> None:
    """Make NAME the default for every command (`env = NAME` in the config file)."""
    loaded = state(ctx).loaded
    service.use_environment(loaded.config_path, loaded.settings, name)
    out.print(f"default environment: {name} (in {loaded.config_path})")


@app.command("import-terraform")
def import_terraform(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Option("--dir", help="The Terraform configuration that was applied.")
    ] = Path("infra/terraform"),
    name: Annotated[
        str | None, typer.Option("--name", help="Environment name (default: --env, else prod).")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Use this region instead of the output's.")
    ] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Fill an environment from `terraform output -json` (state machine, cluster, logs, ...).

    Fields Terraform does not know (profile, database_url, endpoint_url) are kept. Exit 2 when
    terraform is missing or fails, or the outputs have no region.
    """
    loaded = state(ctx).loaded
    chosen = name or (loaded.settings.env if loaded.settings.env != "local" else "prod")
    merged = service.import_terraform(loaded.config_path, chosen, directory, region=region)
    # Only what came from Terraform: the kept fields may hold secrets (database_url).
    imported = {key: merged[key] for key in service.TERRAFORM_OUTPUTS if key in merged}
    if json_output:
        print_json({"name": chosen, "config_file": loaded.config_path, "imported": imported})
        return
    out.print(f"environment {chosen} written to {loaded.config_path}:")
    for key, value in imported.items():
        out.print(f"  {key} = {value}")
    out.print(f"use it with `senso --env {chosen} ...` or `senso env use {chosen}`")
