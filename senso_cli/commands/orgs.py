"""`senso orgs ...`: import, list and show the orgs senso evaluates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from senso_cli.context import state
from senso_cli.output import out, print_json
from senso_cli.params import EnvOpt, JsonOpt

app = typer.Typer(help="Import, list and show orgs.", no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A YAML or JSON org file.", show_default=False)],
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Import (or update) orgs from a YAML or JSON file.

    The whole file is validated first: on any error nothing is written and the bad field is
    named (exit 2). Re-importing the same file changes nothing.
    """
    from senso_cli.services import orgs as service
    from senso_cli.views.orgs import render_import

    render_import(service.import_file(state(ctx).writing_db(), file), json_output)


def _days(days: list[int]) -> str:
    from handlers.orgdata import DAY_NAMES

    return ", ".join(DAY_NAMES[d][:3] for d in days) or "-"


@app.command("list")
def list_(ctx: typer.Context, json_output: JsonOpt = False, env: EnvOpt = None) -> None:
    """List orgs with their matrix size, schedule and credit balance."""
    from rich.table import Table

    from handlers.repositories.orgs import json_data
    from senso_cli.services import orgs as service

    orgs = service.list_orgs(state(ctx).db)
    if json_output:
        print_json([json_data(o) for o in orgs])
        return
    if not orgs:
        out.print("no orgs yet: import one with `senso orgs import FILE` or `senso dev seed`")
        return
    table = Table()
    for column in (
        "slug",
        "name",
        "partner",
        "questions x models x locations",
        "schedule",
        "balance",
    ):
        table.add_column(column, overflow="fold")
    for org in orgs:
        table.add_row(
            org.slug,
            org.name,
            org.partner,
            f"{org.questions} x {org.models} x {org.locations}",
            _days(org.schedule),
            f"{org.balance:.2f}",
        )
    out.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    org: Annotated[str, typer.Argument(help="Org slug or id.", show_default=False)],
    json_output: JsonOpt = False,
    env: EnvOpt = None,
) -> None:
    """Show one org: websites, questions, models, locations, schedule and balance."""
    from handlers.repositories.orgs import json_data
    from senso_cli.services import orgs as service

    details = service.show_org(state(ctx).db, org)
    if json_output:
        print_json(json_data(details) | {"matrix_size": details.matrix_size})
        return
    out.print(f"[bold]{details.name}[/] ({details.slug}, {details.org_id})")
    out.print(f"partner: {details.partner}{'  (free tier)' if details.is_free_tier else ''}")
    out.print(f"websites: {', '.join(details.websites) or '-'}")
    out.print(f"models: {', '.join(m.name for m in details.models)}")
    out.print(f"locations: {', '.join(loc.label for loc in details.locations)}")
    out.print(f"schedule: {_days(details.schedule)}")
    out.print(f"balance ({details.payer_type.lower()} pays): {details.balance:.2f}")
    out.print(
        f"matrix: {len(details.questions)} questions x {len(details.models)} models x "
        f"{len(details.locations)} locations = {details.matrix_size} cells"
    )
    for number, question in enumerate(details.questions, start=1):
        out.print(f"  {number:>2}. {question.text} [dim]({question.question_type})[/]")
