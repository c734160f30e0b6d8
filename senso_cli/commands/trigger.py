"""`senso trigger`: start the org evaluation workflow for one org and watch it run.

`--env local` (the default) drives the local runtime; an AWS environment drives Step Functions;
the rollout (or `--target`) may send the org to Inngest instead.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from handlers.errors import InvalidInputError
from senso_cli import factory
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.output import err, out
from senso_cli.params import DayOpt, EnvOpt, JsonOpt
from senso_cli.services.days import parse_batch_day

EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

if TYPE_CHECKING:
    from senso_cli.runs import Snapshot


def trigger(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="Org slug or id.", show_default=False)],
    wait: Annotated[
        bool | None,
        typer.Option("--wait/--no-wait", help="Follow the execution (default: in a terminal)."),
    ] = None,
    day: DayOpt = None,
    isolation: Annotated[
        str, typer.Option(help="inprocess, or process: run each step as `python -m handlers`.")
    ] = "inprocess",
    poll_interval: Annotated[
        float | None, typer.Option(hidden=True, help="Seconds between polls while following.")
    ] = None,
    target_opt: Annotated[
        str | None,
        typer.Option(
            "--target", help="sfn or inngest for this call only (default: the rollout decides)."
        ),
    ] = None,
    shadow: Annotated[
        bool,
        typer.Option(
            "--shadow",
            help="Run the org on both sides, for `senso compare`: Inngest as usual, Step "
            "Functions writing only senso's shadow tables (no product row, no credit).",
        ),
    ] = False,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
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
    from rich.live import Live

    from senso_cli.services import routing
    from senso_cli.views import inngest as inngest_view
    from senso_cli.views import runs as view

    if isolation not in ("inprocess", "process"):
        raise InvalidInputError(f"--isolation must be inprocess or process, not {isolation!r}")
    override = routing.parse_target(target_opt)
    if shadow and override is not None:
        raise InvalidInputError("--shadow runs both sides; it cannot be combined with --target")
    batch_day = parse_batch_day(day)
    if shadow and json_output and factory.aws(state(ctx)) is not None:
        raise InvalidInputError("--shadow --json is for local runs", hint="drop --json on AWS")
    app = state(ctx)
    decision = (
        routing.Decision("inngest", "--shadow: both sides")
        if shadow
        else factory.route(app, org, override)
    )
    shadow_data: dict[str, Any] | None = None
    if shadow or decision.target == "inngest":
        try:
            inngest_run = factory.inngest(app).start(org, batch_day)
        except KeyboardInterrupt:
            # The Inngest side ran in this process (the stand-in): it stops with it, and its
            # batch, left unfinished, is resumed by the next run of that side for the day.
            inngest_view.interrupted(org, batch_day, shadow=shadow)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        shadow_data = inngest_view.render(
            inngest_run, decision, json_output=json_output, emit=not (shadow and json_output)
        )
        if not shadow:
            if inngest_run.outcome.status == "FAILED":
                raise typer.Exit(EXIT_FAILED)
            return
    runs = factory.runs(state(ctx), isolation)  # type: ignore[arg-type]
    started = runs.start(org, batch_day, detach=wait is False, shadow=shadow)
    view.started_notes(started)
    follow = wait if wait is not None else (sys.stdout.isatty() and not json_output)
    if not (follow or started.in_process):
        view.render_started(started, json_output, factory.follow_hint(state(ctx), started.name))
        return
    final: Snapshot | None = None
    try:
        if follow:
            # With --json, stdout carries only the final document: the live view goes to stderr.
            screen = err if json_output else out
            with Live(console=screen, refresh_per_second=8, transient=False) as live:
                for final in runs.follow(started, interval=poll_interval):
                    live.update(view.timeline_table(final.history, final.progress))
            screen.print()
        else:
            *_, final = runs.follow(started, interval=poll_interval)
    except KeyboardInterrupt:
        # No orphan: a run inside this process dies with it, so it is stopped (ABORTED, which
        # `senso redrive` resumes); a worker process or Step Functions keeps running, detached.
        stopped = None
        if started.in_process:
            stopped = runs.stop(
                started.name, error="Senso.Interrupted", cause="Ctrl-C on senso trigger --wait"
            )
        view.interrupted(
            started,
            stopped,
            runs.kind,
            factory.follow_hint(state(ctx), started.name),
            factory.follow_hint(state(ctx), started.name, "redrive"),
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    assert final is not None
    view.render_final(final, json_output, shadow=shadow_data if shadow else None)
    if final.run.status not in ("SUCCEEDED", "RUNNING"):
        raise typer.Exit(EXIT_FAILED)
