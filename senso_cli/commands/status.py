"""`senso status`: recent executions, or one execution's state timeline."""

from __future__ import annotations

from typing import Annotated

import typer

from handlers.errors import InvalidInputError, NotFoundError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.params import EnvOpt, JsonOpt, OrgOpt, SinceOpt


def status(
    ctx: typer.Context,
    execution: Annotated[
        str | None,
        typer.Argument(
            help="Execution name or ARN; or an org (slug, full name or name prefix) to list "
            "its runs.",
            show_default=False,
        ),
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
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Also show the execution name, start time, redrives and ARN, one line per run.",
        ),
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Recent executions, or one execution's state timeline with durations, retries, errors."""
    from senso_cli.aws.timeparse import parse_since
    from senso_cli.runs import STATUSES
    from senso_cli.services.run_rows import (
        inngest_rows,
        is_execution_ref,
        merged,
        org_id_for,
        run_rows,
    )
    from senso_cli.views import runs as view

    runs = factory.runs(state(ctx))
    if execution and is_execution_ref(execution):
        view.render_one(runs.describe(execution), json_output)
        return
    if execution and org:
        raise InvalidInputError(
            f"give the org once: {execution!r} or --org {org!r}",
            hint="`senso status ORG` and `senso status --org ORG` are the same",
        )
    wanted = status_filter.upper() if status_filter else None
    if wanted is not None and wanted not in STATUSES:
        # Quote what the operator typed, not its upper-cased form.
        raise InvalidInputError(
            f"--status {status_filter!r} is not an execution status",
            hint="one of " + ", ".join(sorted(STATUSES)),
        )
    db = state(ctx).existing_db()
    org_id: str | None = None
    if execution:
        # A positional reference that is neither an execution nor a known org.
        try:
            org_id = org_id_for(db, execution)
        except NotFoundError:
            raise NotFoundError(
                f"no execution or org {execution!r}",
                hint="`senso status` lists the executions; `senso orgs list` the orgs",
            ) from None
    elif org:
        org_id = org_id_for(db, org)
    after = parse_since(since) if since else None
    listed = runs.recent(status=wanted, since=after, org_ref=org_id)
    rows = run_rows(listed, db)
    if db is not None:
        rows = merged(rows, inngest_rows(db, status=wanted, since=after, org_id=org_id))
    view.render_rows(rows, json_output, wide=wide)
