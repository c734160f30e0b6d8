"""The `senso` command: the root options and the command table, loaded lazily.

`LazyGroup` lists the commands from `senso_cli.commands.COMMANDS` and imports a command's
module only when that command is invoked or its own help is shown; the root help is drawn from
the table's summaries. This keeps `senso --help`, shell completion and the light commands from
importing every dependency of every command.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
import typer.main
from typer._click.core import Command as ClickCommand
from typer._click.core import Context as ClickContext
from typer._click.formatting import HelpFormatter
from typer.core import TyperCommand
from typer.models import CommandInfo, TyperInfo

from senso_cli import typer_compat
from senso_cli.commands import COMMANDS, Entry
from senso_cli.context import AppState
from senso_cli.errors import SensoGroup

MARKUP: Literal["markdown"] = "markdown"
_ENTRIES = {entry.name: entry for entry in COMMANDS}
typer_compat.install()


def load_command(entry: Entry) -> ClickCommand:
    """Import the entry's module and build its click command (or group)."""
    module_name, attribute = entry.target.split(":")
    obj: Any = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, typer.Typer):
        return typer.main.get_group_from_info(
            TyperInfo(obj, name=entry.name),
            pretty_exceptions_short=False,
            suggest_commands=True,
            rich_markup_mode=MARKUP,
        )
    return typer.main.get_command_from_info(
        CommandInfo(name=entry.name, callback=obj),
        pretty_exceptions_short=False,
        rich_markup_mode=MARKUP,
    )


class LazyGroup(SensoGroup):
    """The root group: commands come from the command table, imported on first use."""

    _listing = False

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return [*_ENTRIES, *(name for name in super().list_commands(ctx) if name not in _ENTRIES)]

    def get_command(self, ctx: ClickContext, cmd_name: str) -> ClickCommand | None:
        entry = _ENTRIES.get(cmd_name)
        if entry is None or cmd_name in self.commands:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            # Root help needs only the name and summary: do not import the command.
            return TyperCommand(name=entry.name, help=entry.summary)
        command = load_command(entry)
        self.commands[cmd_name] = command
        return command

    def load_all(self) -> None:
        """Import every command (for tests and tools that walk the whole tree)."""
        for entry in COMMANDS:
            if entry.name not in self.commands:
                self.commands[entry.name] = load_command(entry)

    def format_help(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        """The root page: names and summaries from the table, drawn by senso_cli.roothelp
        (Typer's renderer imports Markdown and traceback support the root page never uses)."""
        from senso_cli import roothelp

        self._listing = True
        try:
            listed = [self.get_command(ctx, name) for name in self.list_commands(ctx)]
        finally:
            self._listing = False
        roothelp.render(self, ctx, [c for c in listed if c is not None and not c.hidden])


app = typer.Typer(
    name="senso",
    cls=LazyGroup,
    help=(
        "Run Senso's org evaluation workflow locally or on AWS Step Functions, and carry the "
        "migration off Inngest.\n\n"
        "Start here: `senso dev seed` then `senso trigger --org demo`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=MARKUP,
)


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            help="senso's home folder (default: SENSO_HOME or ~/.local/share/senso).",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env",
            help="Environment for every command below (each command also takes --env).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Options that apply to every command."""
    # An AppState handed in (a test's clock) is kept; the flags are this invocation's.
    ctx.obj = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    ctx.obj.flags["home"] = home
    if env is not None:
        ctx.obj.choose_env(env)  # an unknown --env stops every command here


def command_tree() -> LazyGroup:
    """The root command with every command loaded."""
    root = typer.main.get_command(app)
    assert isinstance(root, LazyGroup)
    root.load_all()
    return root


def main() -> None:
    app()
