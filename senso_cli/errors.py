"""The CLI boundary: senso errors become one line, a hint, and the documented exit code.

Exit codes: 0 success, 1 the operation failed, 2 bad usage or input (including unknown orgs,
invalid files and missing credentials or configuration).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

# Typer vendors its own click; TyperGroup.invoke is typed against that Context.
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from handlers.errors import InvalidInputError, SensoError
from senso_cli.output import err

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class ConfigurationError(InvalidInputError):
    """Missing or inconsistent configuration (region, credentials, environment)."""


def exit_code_for(exc: SensoError) -> int:
    if isinstance(exc, InvalidInputError):
        return EXIT_BAD_INPUT
    return EXIT_FAILED


def report(exc: SensoError) -> int:
    # Messages carry user input (org names, flags): escape it so it is printed, not rendered.
    err.print(f"[bold red]error:[/] {escape(exc.message)}", markup=True, highlight=False)
    if exc.hint:
        err.print(f"[dim]hint:[/] {escape(exc.hint)}", markup=True, highlight=False)
    return exit_code_for(exc)


GLOBAL_VALUE_OPTIONS = ("--env", "--home")


def _declares(command: Any, args: list[str], option: str) -> bool:
    """Whether the (sub)command that `args` select declares `option` itself."""
    if any(option in getattr(param, "opts", ()) for param in getattr(command, "params", ())):
        return True
    if hasattr(command, "commands"):
        names = [a for a in args if not a.startswith("-")]
        child = command.commands.get(names[0]) if names else None
        return child is not None and _declares(child, args[args.index(names[0]) + 1 :], option)
    return False


def hoist_global_options(group: Any, args: list[str]) -> list[str]:
    """Let `senso trigger --org X --env prod` mean `senso --env prod trigger --org X`.

    Operators put `--env` where it reads naturally; commands that declare an `--env` of their
    own (deploy, validate, cost-estimate) keep theirs.
    """
    head: list[str] = []
    index = 0
    while index < len(args) and args[index].startswith("-"):
        step = 2 if args[index] in GLOBAL_VALUE_OPTIONS else 1
        head += args[index : index + step]
        index += step
    if index >= len(args):
        return args
    command = group.commands.get(args[index])
    rest = args[index + 1 :]
    if command is None or "--" in rest:
        return args
    hoisted: list[str] = []
    kept: list[str] = []
    position = 0
    while position < len(rest):
        token = rest[position]
        name = token.split("=", 1)[0]
        if name in GLOBAL_VALUE_OPTIONS and not _declares(command, rest, name):
            if "=" in token:
                hoisted.append(token)
                position += 1
            else:
                hoisted += rest[position : position + 2]
                position += 2
            continue
        kept.append(token)
        position += 1
    return [*head, *hoisted, args[index], *kept]


class SensoGroup(TyperGroup):
    """Root command group that turns senso errors into messages and exit codes."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(self, list(args)))

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except SensoError as exc:
            raise typer.Exit(report(exc)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
