"""`senso redrive`: resume executions that did not succeed (services/redrive.py decides how)."""

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
        bool, typer.Option("--dry-run", help="Only say what would be done, and how.")
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Resume an execution that did not succeed; or many, with --since.

    TIMED_OUT and ABORTED executions are redriven from the step that was running (on AWS,
    RedriveExecution). A FAILED one ended in its Fail state, so a new attempt for its org and
    day resumes the batch instead. Locally the run goes to its end in this process. Exit 1 if
    a redrive failed.
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
