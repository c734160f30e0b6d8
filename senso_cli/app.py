"""The `senso` command: global options and the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from senso_cli.commands import compare, config, credits, db, dev, orgs, rollout
from senso_cli.commands import env as env_commands
from senso_cli.commands.cost import cost_estimate
from senso_cli.commands.deploy import deploy
from senso_cli.commands.evaluate import evaluate
from senso_cli.commands.logs import logs
from senso_cli.commands.trigger import redrive, run_definition, status, trigger
from senso_cli.commands.trigger_batch import trigger_batch
from senso_cli.commands.validate import validate
from senso_cli.context import AppState
from senso_cli.errors import SensoGroup

app = typer.Typer(
    name="senso",
    cls=SensoGroup,
    help=(
        "Run Senso's org evaluation workflow locally or on AWS Step Functions, and carry the "
        "migration off Inngest.\n\n"
        "Start here: `senso dev seed` then `senso trigger --org demo`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(help="senso's home folder (default: SENSO_HOME or ~/.local/share/senso)."),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option("--env", help="Environment: `local` (default) or a configured AWS one."),
    ] = None,
) -> None:
    """Global options apply to every command."""
    ctx.obj = AppState(flags={"home": home, "env": env})
    if env is not None:
        ctx.obj.loaded.settings.environment()  # an unknown --env stops every command here


app.add_typer(config.app, name="config")
app.add_typer(db.app, name="db")
app.add_typer(orgs.app, name="orgs")
app.add_typer(credits.app, name="credits")
app.add_typer(dev.app, name="dev")
app.command("evaluate")(evaluate)
app.command("trigger")(trigger)
app.command("status")(status)
app.command("redrive")(redrive)
app.command("run-definition")(run_definition)
app.command("compare")(compare.compare)
app.add_typer(rollout.app, name="rollout")
app.command("rollback")(rollout.rollback)
app.command("validate")(validate)
app.command("cost-estimate")(cost_estimate)
app.command("deploy")(deploy)
app.add_typer(env_commands.app, name="env")
app.command("trigger-batch")(trigger_batch)
app.command("logs")(logs)


def main() -> None:
    app()
