"""Rendering for runs on the Inngest side (the real Inngest or the local stand-in)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import typer

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.repositories.orgs import OrgRepository
from senso_cli.context import state
from senso_cli.errors import EXIT_FAILED
from senso_cli.factory import routing_store
from senso_cli.migration.router import Target
from senso_cli.output import err, out, print_json
from senso_cli.services import routing
from senso_cli.services.batches import batch_summary
from senso_cli.services.environments import reporting_database
from senso_cli.services.inngest_side import InngestOutcome, run_on_inngest
from senso_cli.services.routing import Decision
from senso_cli.views.runs import charged_text


def render(
    db: Database,
    outcome: InngestOutcome,
    decision: Decision,
    org_id: Any,
    day: date,
    *,
    json_output: bool,
    exit_on_failure: bool = True,
    emit: bool = True,
) -> dict[str, Any]:
    summary = batch_summary(
        db, org_id, day, orchestrator="inngest", charged_since=outcome.started_at
    )
    data = {
        "target": "inngest",
        "routing": decision.reason,
        "mode": outcome.mode,
        "label": outcome.label,
        "status": outcome.status,
        "event_id": outcome.event_id,
        "error": outcome.error,
        "cause": outcome.cause,
        "batch": summary.__dict__ if summary and outcome.mode == "stand-in" else None,
    }
    if not emit:
        pass  # the caller prints it inside one JSON document (`--shadow --json`)
    elif json_output:
        print_json(data)
    else:
        out.print(f"routed to {outcome.label} ({decision.reason})")
        if outcome.event_id:
            out.print(f"sent org.evaluation.process, event id {outcome.event_id}")
        if summary is not None and outcome.mode == "stand-in":
            out.print(
                f"batch {summary.batch_id}: {summary.status}; cells {summary.cells}: "
                f"{summary.completed} completed, {summary.failed} failed; "
                f"visibility {summary.visibility:.1f}%; credits charged "
                f"{charged_text(summary)}"
            )
        if outcome.status == "FAILED":
            err.print(f"error: {outcome.error}: {outcome.cause or ''}")
    if exit_on_failure and outcome.status == "FAILED":
        raise typer.Exit(EXIT_FAILED)
    return data


def route(ctx: typer.Context, org_ref: str, override: Target | None) -> routing.Decision:
    """Where this org runs; the org must exist locally (an unknown org starts nothing)."""
    if override == "sfn":
        return routing.Decision("sfn", "--target sfn (this call only)")
    store = routing_store(state(ctx))
    if store is None and override is None:
        return routing.decide(None, org_ref, None)
    return routing.decide(store, _org_id(ctx, org_ref), override)


def _org_id(ctx: typer.Context, org_ref: str) -> str:
    """Locally from senso's database; on AWS from the environment's database when reachable,
    else the reference itself when it is an org UUID (the bucket needs only the id)."""
    settings = state(ctx).loaded.settings
    env = settings.environment()
    if env is None:
        return str(OrgRepository(state(ctx).db).get(org_ref).org_id)
    db = reporting_database(settings, env)
    if db is not None:
        return str(OrgRepository(db).get(org_ref).org_id)
    try:
        return str(uuid.UUID(org_ref))
    except ValueError:
        raise InvalidInputError(
            f"cannot route {org_ref!r}: the database is unreachable and it is not an org id",
            hint="pass the org's UUID, or make the environment's database reachable",
        ) from None


def run_inngest_side(
    ctx: typer.Context,
    org_ref: str,
    decision: routing.Decision,
    day: date,
    json_output: bool,
    *,
    exit_on_failure: bool,
    emit: bool = True,
) -> dict[str, Any]:
    app_state = state(ctx)
    org = OrgRepository(app_state.db).get(org_ref)
    outcome = run_on_inngest(app_state.db, app_state.loaded.settings, str(org.org_id), day)
    return render(
        app_state.db,
        outcome,
        decision,
        org.org_id,
        day,
        json_output=json_output,
        exit_on_failure=exit_on_failure,
        emit=emit,
    )
