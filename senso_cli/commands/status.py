"""`senso status`: recent executions, or one execution's state timeline."""

from __future__ import annotations

from typing import Annotated

import typer

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt, OrgOpt, SinceOpt

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def status(
    ctx: typer.Context,
    execution: Annotated[str | None, typer.Argument(help="Execution name or ARN.")] = None,
    org: OrgOpt = None,
    status_filter: Annotated[
        str | None, typer.Option("--status", help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.")
    ] = None,
    since: SinceOpt = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Recent executions, or one execution's state timeline with durations, retries, errors."""
    from rich.table import Table

    from handlers.repositories.orgs import OrgRepository
    from senso_cli.aws.timeparse import parse_since
    from senso_cli.services import status as status_service
    from senso_cli.views import sfn as sfn_view

    target = factory.aws(state(ctx))
    if target is not None:
        sfn_view.status(
            target,
            state(ctx).loaded.settings,
            execution,
            org=org,
            status_filter=status_filter,
            since=since,
            json_output=json_output,
        )
        return
    runtime = factory.local_runtime(state(ctx))
    if execution:
        record = runtime.store.get(execution)
        history = runtime.store.history(record["execution_arn"])
        rows = status_service.timeline(history)
        if json_output:
            print_json(
                {
                    k: record[k]
                    for k in ("execution_arn", "name", "status", "error", "cause", "redrive_count")
                }
                | {"start_date": record["start_date"], "stop_date": record["stop_date"]}
                | {"states": [r.as_dict() for r in rows]}
            )
            return
        out.print(f"{record['name']}: {record['status']}")
        out.print(sfn_view.timeline_table(history, None))
        return
    if status_filter and status_filter.upper() not in TERMINAL | {"RUNNING"}:
        raise InvalidInputError(f"--status {status_filter!r} is not an execution status")

    org_id = OrgRepository(runtime.db).get(org).org_id if org else None
    records = runtime.store.recent(
        status=status_filter.upper() if status_filter else None,
        since=parse_since(since) if since else None,
        org_id=org_id,
    )
    if json_output:
        print_json(
            [
                {
                    k: r[k]
                    for k in ("name", "execution_arn", "status", "start_date", "stop_date", "error")
                }
                for r in records
            ]
        )
        return
    table = Table()
    for column in ("execution", "status", "started", "duration", "error"):
        table.add_column(column)
    for r in records:
        duration = (r["stop_date"] - r["start_date"]).total_seconds() if r["stop_date"] else None
        table.add_row(
            r["name"],
            r["status"],
            r["start_date"].strftime("%Y-%m-%d %H:%M:%S"),
            f"{duration:.1f}s" if duration is not None else "...",
            r["error"] or "",
        )
    out.print(table if records else "no executions")
