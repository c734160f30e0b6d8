"""`senso dev ...`: helpers for a local first run."""

from __future__ import annotations

import typer

from senso_cli.context import state
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import orgs as service
from senso_cli.views.orgs import render_import

app = typer.Typer(help="Local development helpers.", no_args_is_help=True)


@app.command("seed")
def seed(
    ctx: typer.Context,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Load the demo org (slug `demo`: 20 questions x 3 models x 2 locations). Idempotent."""
    render_import(service.seed_demo(state(ctx).writing_db()), json_output)
