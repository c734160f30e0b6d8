"""`senso trigger`, `senso status`, `senso redrive`, `senso run-definition`.

`--env local` (the default) drives the local runtime; an AWS environment drives Step Functions
through `senso_cli.commands.aws_views`, with the same views.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.table import Table

from handlers.errors import InvalidInputError
from handlers.repositories.orgs import OrgRepository
from senso_cli.aws.timeparse import parse_since
from senso_cli.commands import aws_views, inngest_views, local_views
from senso_cli.commands.aws_views import timeline_table
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.local.definition import load_definition
from senso_cli.local.invoker import Isolation
from senso_cli.local.runtime import LocalRuntime
from senso_cli.output import err, out, print_json
from senso_cli.services import routing
from senso_cli.services import status as status_service
from senso_cli.services import trigger as service
from senso_cli.services.days import parse_batch_day
from senso_cli.services.environments import AwsTarget, aws_target

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def _runtime(ctx: typer.Context, isolation: Isolation = "inprocess") -> LocalRuntime:
    app_state = state(ctx)
    if app_state.loaded.settings.environment() is not None:
        raise InvalidInputError(
            "AWS environments are driven through Step Functions itself",
            hint="this build runs the local runtime; use --env local",
        )
    return LocalRuntime(app_state.db, app_state.loaded.settings, isolation=isolation)


def _aws(ctx: typer.Context) -> AwsTarget | None:
    """The AWS environment chosen with --env / SENSO_ENV / the config, or None for local."""
    return aws_target(state(ctx).loaded.settings)


def trigger(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="Org slug or id.", show_default=False)],
    wait: Annotated[
        bool | None,
        typer.Option("--wait/--no-wait", help="Follow the execution (default: in a terminal)."),
    ] = None,
    day: Annotated[
        str | None, typer.Option(help="UTC day of the batch, YYYY-MM-DD (default today).")
    ] = None,
    isolation: Annotated[
        str, typer.Option(help="inprocess, or process: run each step as `python -m handlers`.")
    ] = "inprocess",
    poll_interval: Annotated[
        float, typer.Option(hidden=True, help="Seconds between AWS polls while following.")
    ] = 1.0,
    target_opt: Annotated[
        str | None,
        typer.Option(
            "--target", help="sfn or inngest for this call only (default: the rollout decides)."
        ),
    ] = None,
    shadow: Annotated[
        bool, typer.Option("--shadow", help="Run the org on both sides, for `senso compare`.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Start the org evaluation workflow for one org and (by default) watch it run.

    The rollout router picks the side (Step Functions or Inngest; locally without Inngest
    configured, a labelled in-process stand-in); `--target` overrides it for one call and
    `--shadow` runs both.

    On AWS (`--env NAME`) the execution name is deterministic per org, day and attempt: a
    doubled trigger reports the running execution instead of starting another.

    Exit 0 when the execution succeeded, 1 when it failed (with its error and cause), 2 on bad
    input such as an unknown org (nothing is started).
    """
    if isolation not in ("inprocess", "process"):
        raise InvalidInputError(f"--isolation must be inprocess or process, not {isolation!r}")
    override = routing.parse_target(target_opt)
    if shadow and override is not None:
        raise InvalidInputError("--shadow runs both sides; it cannot be combined with --target")
    batch_day = parse_batch_day(day)
    if shadow and json_output and _aws(ctx) is not None:
        raise InvalidInputError("--shadow --json is for local runs", hint="drop --json on AWS")
    decision = (
        routing.Decision("inngest", "--shadow: both sides")
        if shadow
        else inngest_views.route(ctx, org, override)
    )
    shadow_data: dict[str, Any] | None = None
    if shadow or decision.target == "inngest":
        shadow_data = inngest_views.run_inngest_side(
            ctx,
            org,
            decision,
            batch_day,
            json_output,
            exit_on_failure=not shadow,
            emit=not (shadow and json_output),
        )
        if not shadow:
            return
    target = _aws(ctx)
    if target is not None:
        aws_views.trigger(
            target,
            state(ctx).loaded.settings,
            org,
            wait=wait,
            day=batch_day,
            json_output=json_output,
            poll_interval=poll_interval,
        )
        return
    runtime = _runtime(ctx, isolation)  # type: ignore[arg-type]
    result = service.start_local(runtime, org, day=batch_day)
    arn = result.started.execution_arn
    follow = wait if wait is not None else (sys.stdout.isatty() and not json_output)
    if result.already_running:
        err.print(f"an execution for {result.org.slug} today is already running: {arn}")
        follow = follow and False
    elif not follow and wait is False:
        pid = service.spawn_worker(arn, dict(os.environ))
        if json_output:
            print_json({"execution_arn": arn, "status": "RUNNING", "worker_pid": pid})
        else:
            out.print(
                f"started {arn} (worker pid {pid}); "
                f"follow with `senso status {result.started.name}`"
            )
        return
    if not result.already_running:
        thread = runtime.run_in_thread(arn)
        if follow:
            with Live(console=out, refresh_per_second=8, transient=False) as live:
                while thread.is_alive():
                    live.update(local_views.render_live(runtime, arn, result.org.org_id, batch_day))
                    time.sleep(0.15)
                live.update(local_views.render_live(runtime, arn, result.org.org_id, batch_day))
            out.print()
        thread.join()
    local_views.finish(
        runtime,
        arn,
        result.org.org_id,
        batch_day,
        json_output,
        shadow=shadow_data if shadow else None,
    )


def status(
    ctx: typer.Context,
    execution: Annotated[str | None, typer.Argument(help="Execution name or ARN.")] = None,
    org: Annotated[str | None, typer.Option(help="Only this org (slug or id).")] = None,
    status_filter: Annotated[
        str | None, typer.Option("--status", help="RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="e.g. 30m, 24h, 7d or an ISO time.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Recent executions, or one execution's state timeline with durations, retries, errors."""
    target = _aws(ctx)
    if target is not None:
        aws_views.status(
            target,
            state(ctx).loaded.settings,
            execution,
            org=org,
            status_filter=status_filter,
            since=since,
            json_output=json_output,
        )
        return
    runtime = _runtime(ctx)
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
        out.print(timeline_table(history, None))
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


def redrive(
    ctx: typer.Context,
    execution: Annotated[
        str | None, typer.Argument(help="Execution name or ARN (omit with --since).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Bulk: executions started since (24h, 7d, ISO time).")
    ] = None,
    status_filter: Annotated[
        str, typer.Option("--status", help="Bulk: FAILED, TIMED_OUT or ABORTED.")
    ] = "FAILED",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only list what would be redriven.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Continue a failed execution from the state that did not finish; or many, with --since.

    On AWS this is RedriveExecution (the execution continues in Step Functions); locally the
    execution runs to its end in this process. Exit 1 if a redrive failed.
    """
    target = _aws(ctx)
    if target is not None:
        aws_views.redrive(
            target,
            execution,
            since=since,
            status_filter=status_filter,
            dry_run=dry_run,
            json_output=json_output,
        )
        return
    runtime = _runtime(ctx)
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


def run_definition(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An ASL (JSON) document.", show_default=False)],
    input_json: Annotated[str, typer.Option("--input", help="Execution input as JSON.")] = "{}",
    mock_config: Annotated[
        Path | None, typer.Option(help="A Step Functions Local MockConfigFile.")
    ] = None,
    test_case: Annotated[
        str | None, typer.Option(help="Test case name in the mock config.")
    ] = None,
    time_scale: Annotated[
        float, typer.Option(min=0, help="Multiply Wait and retry intervals (0: do not wait).")
    ] = 1.0,
    json_output: JsonFlag = False,
) -> None:
    """Run any ASL document locally and print its output or error (no database needed)."""
    from senso_cli.services.run_definition import run_document

    try:
        payload = json.loads(input_json)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"--input is not JSON: {exc.msg}", hint="e.g. --input '{\"a\": 1}'"
        ) from exc
    definition = load_definition(file)
    result, history = run_document(
        definition, payload, mock_config=mock_config, test_case=test_case, time_scale=time_scale
    )
    if json_output:
        print_json(
            {
                "status": result.status,
                "output": result.output,
                "error": result.error,
                "cause": result.cause,
                "history": history,
            }
        )
    elif result.status == "SUCCEEDED":
        print(json.dumps(result.output, indent=2))  # noqa: T201
    else:
        err.print(f"{result.status}: {result.error}: {result.cause or ''}")
    if result.status != "SUCCEEDED":
        raise typer.Exit(EXIT_FAILED)
