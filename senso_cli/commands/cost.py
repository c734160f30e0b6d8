"""`senso cost-estimate`: what a month of org evaluations costs on Step Functions and Fargate,
next to the Inngest plan it replaces."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError
from senso_cli.aws.timeparse import parse_since
from senso_cli.context import state
from senso_cli.local.definition import load_definition
from senso_cli.output import out, print_json
from senso_cli.params import JsonOpt, json_format
from senso_cli.services.cost import estimate as estimating
from senso_cli.services.cost import render
from senso_cli.services.cost.pricing import load_pricing
from senso_cli.services.cost.workload import build_workload, measure

DEFAULT_ORGS_PER_DAY = 1500  # the old plan's workload
FORMATS = ("table", "json", "markdown")


def _database(ctx: typer.Context, env: str | None) -> Database:
    settings = state(ctx).loaded.settings
    environment = settings.environment(env) if env else None
    if environment is not None and environment.database_url is not None:
        return Database(
            environment.database_url.get_secret_value(),
            tables=Tables.from_mapping(settings.tables),
        )
    return state(ctx).db


def _table(result: estimating.Estimate) -> None:
    work = result.workload
    out.print(
        f"[bold]senso cost estimate[/] ({result.region}, per month): "
        f"{work.orgs_per_day:,.0f} orgs/day, {work.cells_per_org:g} cells per org"
    )
    for section, title in estimating.SECTION_TITLES.items():
        table = Table(title=title, expand=False, title_justify="left")
        table.add_column("item", overflow="fold")
        table.add_column("quantity", justify="right", overflow="fold")
        table.add_column("monthly", justify="right", overflow="fold")
        table.add_column("pricing key", overflow="fold", min_width=33)
        table.add_column("assumed", overflow="fold")
        for line in (line for line in result.lines if line.section == section):
            table.add_row(
                line.item,
                render.quantity(line),
                render.money(line.monthly_usd),
                line.key,
                render.flags(line),
            )
        table.add_row("[bold]total[/]", "", f"[bold]{render.money(result.total(section))}[/]")
        out.print(table)
    totals = result.totals
    out.print(
        f"Step Functions stack {render.money(totals['stack'])} vs Inngest plan "
        f"{render.money(totals['inngest'])}; with providers "
        f"{render.money(totals['step_functions_with_providers'])} vs "
        f"{render.money(totals['inngest_with_providers'])}"
    )
    for note in result.notes:
        out.print(f"[dim]- {escape(note)}[/]")
    out.print(f"[dim]- prices, sources and dates: {result.pricing_file}[/]")


def cost_estimate(
    ctx: typer.Context,
    orgs_per_day: Annotated[
        float, typer.Option("--orgs-per-day", min=0, help="Org evaluations per day.")
    ] = DEFAULT_ORGS_PER_DAY,
    questions: Annotated[
        int | None, typer.Option("--questions", min=1, help="Questions per org (Q).")
    ] = None,
    models: Annotated[
        int | None, typer.Option("--models", min=1, help="Models per org (M).")
    ] = None,
    locations: Annotated[
        int | None, typer.Option("--locations", min=1, help="Locations per org (L).")
    ] = None,
    from_db: Annotated[
        bool, typer.Option("--from-db", help="Measure step times, retries and cells in the DB.")
    ] = False,
    since: Annotated[str, typer.Option("--since", help="With --from-db: how far back.")] = "30d",
    env: Annotated[
        str | None, typer.Option("--env", help="With --from-db: read this environment's DB.")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="table, json or markdown.")
    ] = "table",
    pricing: Annotated[
        Path | None, typer.Option("--pricing", help="Another pricing file (TOML).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Estimate the monthly cost: Step Functions transitions (counted from the real ASL),
    Fargate task-hours, CloudWatch Logs, Secrets Manager and KMS, NAT, ECR, the database, and
    the provider/LLM cost per cell, side by side with the Inngest plan it replaces.

    Every line names the key of the pricing file it came from (each price there has its
    source URL and date) and says what is assumed. Defaults: 1,500 orgs/day and, unless given
    or measured, 10 questions x 3 models x 1 location per org.
    """
    output_format = json_format(json_output, output_format, "table")
    if output_format not in FORMATS:
        raise InvalidInputError(
            f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}"
        )
    book = load_pricing(pricing)
    measured = measure(_database(ctx, env), parse_since(since)) if from_db else None
    work = build_workload(
        book,
        load_definition(),
        orgs_per_day=orgs_per_day,
        questions=questions,
        models=models,
        locations=locations,
        measured=measured,
    )
    result = estimating.estimate(book, work)
    if output_format == "json":
        print_json(result.as_dict())
    elif output_format == "markdown":
        out.print(render.markdown(result), markup=False, soft_wrap=True)
    else:
        _table(result)
