"""`senso logs`: the workflow's log lines, interleaved, filtered and optionally followed."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Annotated

import typer

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.aws.timeparse import parse_since
from senso_cli.context import state
from senso_cli.output import err, print_json
from senso_cli.params import EnvOpt, JsonOpt
from senso_cli.services import logs as service
from senso_cli.services.aws_runs import resolve_org
from senso_cli.services.run_rows import run_mark

FORMATS = ("short", "detailed", "json")


def render(line: service.LogLine, fmt: str, *, mark_runs: bool = False) -> str:
    """One line; with `mark_runs` (more than one run may be shown) the short format names the
    run each line belongs to, so interleaved runs stay apart."""
    if fmt == "json":
        return json.dumps(line.as_dict(), default=str)
    when = line.timestamp.strftime("%H:%M:%S.%f")[:-3]
    step = line.step or "-"
    if fmt == "short":
        run = f"{run_mark(line.execution):<17} " if mark_runs else ""
        return f"{when} {line.level:<7} {run}{step:<32} {line.message}"
    execution = line.execution.rsplit(":", 1)[-1] if line.execution else "-"
    extra = " ".join(f"{k}={v}" for k, v in line.fields.items())
    return (
        f"{line.timestamp.isoformat()} {line.level:<7} [{line.source}] {execution} {step} "
        f"org={line.org_id or '-'} batch={line.batch_id or '-'} stream={line.stream or '-'}: "
        f"{line.message}" + (f" {extra}" if extra else "")
    )


def _emit(lines: Iterable[service.LogLine], fmt: str, *, mark_runs: bool = False) -> int:
    if fmt == "document":  # --json: every line in one JSON array
        collected = [line.as_dict() for line in lines]
        print_json(collected)
        return len(collected)
    count = 0
    for line in lines:
        # Plain print: log text must not be interpreted as Rich markup or wrapped.
        print(render(line, fmt, mark_runs=mark_runs), flush=True)  # noqa: T201
        count += 1
    return count


def logs(
    ctx: typer.Context,
    execution: Annotated[
        str | None, typer.Option(help="Only this execution (name or ARN).")
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this org (slug or id).")] = None,
    step: Annotated[str | None, typer.Option(help="Only this step, e.g. CheckBalance.")] = None,
    level: Annotated[
        str | None, typer.Option(help="This level and above: DEBUG, INFO, WARNING, ERROR.")
    ] = None,
    since: Annotated[str, typer.Option(help="Start this long ago (10m, 1h) or at an ISO time.")] = (
        "10m"
    ),
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = (
        False
    ),
    filter_pattern: Annotated[
        str | None, typer.Option(help="A CloudWatch Logs filter pattern (AWS only).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="short, detailed or json.")] = "short",
    live: Annotated[
        bool, typer.Option("--live/--poll", help="Use StartLiveTail when allowed (AWS).")
    ] = True,
    poll_interval: Annotated[float, typer.Option(hidden=True)] = 2.0,
    max_polls: Annotated[int | None, typer.Option(hidden=True)] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Handler and state machine logs interleaved by time (AWS), or the local history events.

    With --follow new lines appear as they arrive, including those of tasks that start later;
    live tail is used where it is allowed, else CloudWatch is polled (said once on stderr).
    """
    if fmt not in FORMATS:
        raise InvalidInputError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    if json_output:
        if follow:
            raise InvalidInputError(
                "--json prints one document, --follow never ends",
                hint="use --follow --format json for one JSON object per line",
            )
        if fmt != "short":
            raise InvalidInputError(f"--json and --format {fmt} ask for two formats")
        fmt = "document"
    start = parse_since(since)
    runs = factory.runs(state(ctx))  # the local runtime, or the environment's AWS side
    org_id = resolve_org(runs.db, org).org_id if org else None
    if filter_pattern and runs.kind == "local":
        err.print("--filter-pattern applies to CloudWatch only; ignored locally")
    source = runs.logs(
        service.LogFilters(execution=execution, org_id=org_id, step=step, level=level),
        since=start,
        follow=follow,
        filter_pattern=filter_pattern,
        live=live,
        poll_interval=poll_interval,
        max_polls=max_polls,
    )
    lines = iter(source)
    first = next(lines, None)
    if source.fallback_reason:
        err.print(f"live tail unavailable, polling every {poll_interval:g}s")
    if first is None:
        err.print(f"no log lines since {start:%Y-%m-%d %H:%M:%S} UTC")
        _emit([], fmt)  # --json still prints its (empty) document
        return
    _emit(itertools.chain([first], lines), fmt, mark_runs=execution is None)
