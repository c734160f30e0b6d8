"""`senso config show`: the effective configuration, secrets masked, with each value's source."""

from __future__ import annotations

import typer
from rich.table import Table

from handlers.settings import describe
from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt

app = typer.Typer(help="Inspect senso's configuration.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Print every effective setting, where it came from, and mask secrets.

    Precedence: flags, then SENSO_* environment variables, then the config file, then defaults.
    """
    loaded = state(ctx).loaded
    rows = describe(loaded)
    if json_output:
        print_json(
            {
                "config_file": str(loaded.config_path),
                "settings": [{"key": k, "value": v, "source": s} for k, v, s in rows],
            }
        )
        return
    table = Table(title=f"senso configuration (config file: {loaded.config_path})")
    table.add_column("setting", overflow="fold")
    table.add_column("value", overflow="fold")
    table.add_column("source", style="dim", overflow="fold")
    for key, value, source in rows:
        table.add_row(key, value, source)
    out.print(table)
