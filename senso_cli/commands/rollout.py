"""`senso rollout` and `senso rollback`: move orgs between Inngest and Step Functions.

`senso rollout --percent N` shows which orgs move and records the change (gated on compare);
`senso rollout status` shows the stage, its history and the live split; `senso rollback`
puts every org back on Inngest and prints a checklist.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from handlers.errors import InvalidInputError
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.factory import rollout_backends
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt, parse_tolerance
from senso_cli.services import rollback as rollback_service
from senso_cli.services import rollout as service

app = typer.Typer(help="Move orgs from Inngest to Step Functions in gated stages.")
LIST_LIMIT = 20
MARKS = {
    "changed": "changed",
    "unchanged": "already",
    "not configured": "n/a",
    "skipped": "skipped",
    "failed": "FAILED",
}


def operator() -> str:
    """Who is changing the rollout, as recorded in its history."""
    return getpass.getuser()


def _org_list(orgs: list[service.OrgRef]) -> str:
    names = [org.slug for org in orgs[:LIST_LIMIT]]
    more = len(orgs) - len(names)
    return ", ".join(names) + (f" ... and {more} more" if more > 0 else "")


def render_outcome(outcome: service.RolloutOutcome, json_output: bool) -> None:
    plan = outcome.plan
    if json_output:
        print_json(
            asdict(outcome) | {"direction": plan.direction, "moving_count": len(plan.moving)}
        )
        return
    arrow = f"{plan.from_percent:g}% -> {plan.to_percent:g}%"
    if plan.direction == "unchanged":
        out.print(f"already at {plan.to_percent:g}%: nothing to change ({outcome.where})")
        return
    moves = f"{len(plan.moving)} of {plan.total_orgs} orgs move to {plan.destination}"
    if outcome.gate is not None:
        out.print(f"compare gate: {outcome.gate.summary}", markup=False)
    if outcome.dry_run:
        verdict = "would be REFUSED" if outcome.refused else "would apply"
        out.print(f"dry run: {arrow} {verdict}; {moves}; nothing changed")
    elif outcome.changed:
        forced = " (FORCED past the compare gate)" if outcome.forced else ""
        out.print(f"Step Functions share {arrow}{forced}: {moves} (recorded in {outcome.where})")
    else:
        out.print(f"already at {plan.to_percent:g}%: another operator made the same change")
    if plan.moving:
        out.print(f"moving: {_org_list(plan.moving)}", markup=False)
    out.print(f"after: {plan.on_sfn_after} on Step Functions, {plan.on_inngest_after} on Inngest")


@app.callback(invoke_without_command=True)
def rollout(
    ctx: typer.Context,
    percent: Annotated[
        float | None,
        typer.Option(help="Share of orgs (0-100) that run on Step Functions.", show_default=False),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would move; change nothing.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    force: Annotated[
        bool, typer.Option(help="Raise even though compare fails (needs --reason).")
    ] = False,
    tolerance: Annotated[
        str,
        typer.Option(help="The compare gate's tolerance, e.g. 1% or 0.05 (as `senso compare`)."),
    ] = "1%",
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Set the share of orgs on Step Functions: `senso rollout --percent 10`.

    Shows how many and which orgs move. An increase needs `senso compare` to pass for the
    current stage (or `--force --reason TEXT`); a decrease is always allowed. Setting the
    current percentage again changes nothing.
    """
    if ctx.invoked_subcommand is not None:
        return
    if percent is None:
        raise InvalidInputError(
            "give --percent N (0-100)",
            hint="or see the current stage with `senso rollout status`",
        )
    service.validate_percent(percent)
    store, _, _, _ = rollout_backends(state(ctx))
    db = state(ctx).db
    rails = state(ctx).loaded.settings.rollout
    outcome = service.apply_rollout(
        store,
        percent,
        reason,
        force,
        service.stage_gate(
            db,
            store,
            tolerance=parse_tolerance(tolerance),
            min_pairs=rails.gate_min_pairs,
            min_days=rails.gate_min_days,
        ),
        actor=operator(),
        orgs=service.list_org_refs(db),
        dry_run=dry_run,
    )
    render_outcome(outcome, json_output)


@app.command("status")
def status(ctx: typer.Context, json_output: JsonOpt = False, env: EnvOpt = None) -> None:
    """Show the stage, the history of changes and the live split of recent batches."""
    store, _, _, _ = rollout_backends(state(ctx))
    report = service.rollout_status(store, state(ctx).db)
    if json_output:
        print_json(asdict(report) | {"stage": report.stage})
        return
    current = report.state
    out.print(f"stage: {report.stage} ({report.where})")
    if current.recorded and current.updated_at is not None:
        why = f": {current.reason}" if current.reason else ""
        out.print(
            f"last change: {current.updated_at:%Y-%m-%d %H:%M} UTC by {current.updated_by}{why}"
        )
    history = Table(title="history")
    for column in ("when (UTC)", "by", "change", "kind", "reason"):
        history.add_column(column, overflow="fold")
    for change in current.history:
        history.add_row(
            f"{change.updated_at:%Y-%m-%d %H:%M}",
            change.updated_by,
            f"{change.previous_percent:g}% -> {change.percent:g}%",
            change.kind + (" (forced)" if change.forced else ""),
            change.reason or "",
        )
    out.print(history if current.history else "history: no changes yet")
    split = Table(title=f"batches since {report.since:%Y-%m-%d}")
    for column in ("orchestrator", "batches", "orgs", "completed", "failed", "in progress"):
        split.add_column(column, overflow="fold")
    for row in report.split:
        split.add_row(
            row.orchestrator,
            *(str(v) for v in (row.batches, row.orgs, row.completed, row.failed, row.in_progress)),
        )
    out.print(split if report.split else "no batches in the last 7 days")


def rollback(
    ctx: typer.Context,
    abort_running: Annotated[
        bool, typer.Option(help="Also stop running Step Functions executions.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    reason: Annotated[str | None, typer.Option(help="Why (recorded in the history).")] = None,
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Put every org back on Inngest: percentage 0, Step Functions schedule off, Inngest
    schedule on, optionally running executions stopped. Safe to run again."""
    store, schedules, names, sfn = rollout_backends(state(ctx))
    if not yes:
        typer.confirm("Roll every org back to Inngest?", abort=True)
    checklist = rollback_service.rollback(
        store, schedules, names, sfn, abort_running, actor=operator(), reason=reason
    )
    if json_output:
        print_json(asdict(checklist) | {"changed": checklist.changed, "ok": checklist.ok})
    else:
        for item in checklist.items:
            out.print(f"{MARKS[item.status]:>8}  {item.step}: {item.detail}", markup=False)
        if not checklist.ok:
            out.print("rollback INCOMPLETE: fix the failed steps above and run it again")
        else:
            out.print(
                "rolled back" if checklist.changed else "nothing to change: already rolled back"
            )
    if not checklist.ok:
        raise typer.Exit(EXIT_FAILED)
