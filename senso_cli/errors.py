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


class SensoGroup(TyperGroup):
    """Root command group that turns senso errors into messages and exit codes."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except SensoError as exc:
            raise typer.Exit(report(exc)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
