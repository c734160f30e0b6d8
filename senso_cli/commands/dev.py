"""`senso dev ...`: helpers for a local first run."""

from __future__ import annotations

from typing import Annotated

import typer

from senso_cli.commands.orgs import render_import
from senso_cli.context import state
from senso_cli.services import orgs as service

app = typer.Typer(help="Local development helpers.", no_args_is_help=True)


@app.command("seed")
def seed(
    ctx: typer.Context,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Load the demo org (slug `demo`: 20 questions x 3 models x 2 locations). Idempotent."""
    render_import(service.seed_demo(state(ctx).db), json_output)
