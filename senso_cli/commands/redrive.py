"""`senso redrive`: continue failed executions from the state that did not finish."""

from __future__ import annotations

from typing import Annotated

import typer

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.params import EnvOpt, JsonOpt


def redrive(
    ctx: typer.Context,
    execution: Annotated[
        str | None,
        typer.Argument(help="Execution name or ARN (omit with --since).", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Bulk: executions started since (24h, 7d, ISO time).", show_default=False
        ),
    ] = None,
    status_filter: Annotated[
        str, typer.Option("--status", help="Bulk: FAILED, TIMED_OUT or ABORTED.")
    ] = "FAILED",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be redriven.")
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Continue a failed execution from the state that did not finish; or many, with --since.

    On AWS this is RedriveExecution (the execution continues in Step Functions); locally the
    execution runs to its end in this process. Exit 1 if a redrive failed.
    """
    from senso_cli.aws.timeparse import parse_since
    from senso_cli.views import runs as view

    if execution is None and since is None:
        raise InvalidInputError(
            "give an EXECUTION, or --since (with --status) to redrive in bulk",
            hint="e.g. senso redrive --since 24h --status FAILED --dry-run",
        )
    runs = factory.runs(state(ctx))
    if execution is not None:
        outcome = runs.redrive(execution, dry_run=dry_run)
        view.render_redrive(outcome, json_output)
        outcomes = [outcome]
    else:
        assert since is not None
        status = status_filter.upper()
        outcomes = runs.redrive_many(since=parse_since(since), status=status, dry_run=dry_run)
        view.render_redrives(outcomes, json_output, status, since)
    if any(view.redrive_failed(o) for o in outcomes):
        raise typer.Exit(EXIT_FAILED)
