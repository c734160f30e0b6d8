"""`senso redrive`: continue failed executions from the state that did not finish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt

if TYPE_CHECKING:
    from senso_cli.local.runtime import LocalRuntime


def redrive(
    ctx: typer.Context,
    execution: Annotated[
        str | None, typer.Argument(help="Execution name or ARN (omit with --since).")
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
    from senso_cli.views import sfn as sfn_view

    target = factory.aws(state(ctx))
    if target is not None:
        sfn_view.redrive(
            target,
            execution,
            since=since,
            status_filter=status_filter,
            dry_run=dry_run,
            json_output=json_output,
        )
        return
    runtime = factory.local_runtime(state(ctx))
    if execution is None:
        _redrive_local_bulk(runtime, since, status_filter.upper(), dry_run, json_output)
        return
    record = runtime.store.get(execution)
    if dry_run:
        out.print(f"would redrive {record['name']} ({record['status']})")
        return
    result = runtime.redrive(record["execution_arn"])
    if json_output:
        print_json({"status": result.status, "error": result.error, "cause": result.cause})
    else:
        out.print(
            f"redriven: {result.status}"
            + (f" ({result.error}: {result.cause})" if result.error else "")
        )
    if result.status != "SUCCEEDED":
        raise typer.Exit(EXIT_FAILED)


def _redrive_local_bulk(
    runtime: LocalRuntime, since: str | None, status_filter: str, dry_run: bool, json_output: bool
) -> None:
    if since is None:
        raise InvalidInputError(
            "give an EXECUTION, or --since (with --status) to redrive in bulk",
            hint="e.g. senso redrive --since 24h --status FAILED --dry-run",
        )
    if status_filter not in ("FAILED", "TIMED_OUT", "ABORTED"):
        raise InvalidInputError(f"--status {status_filter} cannot be redriven")
    from senso_cli.aws.timeparse import parse_since

    records = runtime.store.recent(status=status_filter, since=parse_since(since), limit=1000)
    results = []
    for record in reversed(records):
        if dry_run:
            results.append({"name": record["name"], "action": "would_redrive", "status": None})
            continue
        run = runtime.redrive(record["execution_arn"])
        results.append({"name": record["name"], "action": "redriven", "status": run.status})
    if json_output:
        print_json(results)
    else:
        for item in results:
            out.print(f"{item['name']}: {item['action'].replace('_', ' ')} {item['status'] or ''}")
        if not results:
            out.print(f"no {status_filter} executions since {since}")
    if any(item["status"] not in (None, "SUCCEEDED") for item in results):
        raise typer.Exit(EXIT_FAILED)
