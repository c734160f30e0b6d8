"""`senso status`: recent executions, or one execution's state timeline."""

from __future__ import annotations

from typing import Annotated

import typer

from senso_cli import factory
from senso_cli.context import state
from senso_cli.params import EnvOpt, JsonOpt, OrgOpt, SinceOpt


def status(
    ctx: typer.Context,
    execution: Annotated[
        str | None, typer.Argument(help="Execution name or ARN.", show_default=False)
    ] = None,
    org: OrgOpt = None,
    status_filter: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.",
            show_default=False,
        ),
    ] = None,
    since: SinceOpt = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Recent executions, or one execution's state timeline with durations, retries, errors."""
    from senso_cli.aws.timeparse import parse_since
    from senso_cli.views import runs as view

    runs = factory.runs(state(ctx))
    if execution:
        view.render_one(runs.describe(execution), json_output)
        return
    listed = runs.recent(
        status=status_filter.upper() if status_filter else None,
        since=parse_since(since) if since else None,
        org_ref=org,
    )
    view.render_list(listed, json_output)
