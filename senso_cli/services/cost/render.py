"""The estimate as Markdown (for pull requests and docs); the CLI draws the same rows as a table."""

from __future__ import annotations

from senso_cli.services.cost.estimate import SECTION_TITLES, CostLine, Estimate


def money(value: float) -> str:
    return f"${value:,.2f}"


def quantity(line: CostLine) -> str:
    return f"{line.quantity:,.4g}" if line.quantity < 1000 else f"{line.quantity:,.0f}"


def flags(line: CostLine) -> str:
    marks = []
    if line.price_assumption:
        marks.append("price assumed")
    if line.quantity_basis != "fixed":
        marks.append(f"quantity {line.quantity_basis}")
    return ", ".join(marks)


def markdown(result: Estimate) -> str:
    rows = [f"# senso cost estimate ({result.region}, per month)", ""]
    work = result.workload
    rows.append(
        f"Workload: {work.orgs_per_day:,.0f} orgs/day, {work.cells_per_org:g} cells per org, "
        f"{work.transitions_per_execution} states on the success path, retry rate "
        f"{work.retry_rate:.0%}. Prices: `{result.pricing_file}`."
    )
    for section, title in SECTION_TITLES.items():
        rows += ["", f"## {title}", ""]
        rows.append("| item | quantity | unit price | monthly | pricing key | basis | notes |")
        rows.append("| --- | ---: | ---: | ---: | --- | --- | --- |")
        for line in (line for line in result.lines if line.section == section):
            rows.append(
                f"| {line.item} | {quantity(line)} | ${line.unit_usd:.6g} / {line.unit} | "
                f"{money(line.monthly_usd)} | `{line.key}` | {line.basis} | {flags(line)} |"
            )
        rows.append(f"| **total** | | | **{money(result.total(section))}** | | | |")
    totals = result.totals
    rows += [
        "",
        "## Side by side",
        "",
        "| | orchestration | with providers |",
        "| --- | ---: | ---: |",
        f"| Step Functions stack | {money(totals['stack'])} | "
        f"{money(totals['step_functions_with_providers'])} |",
        f"| Inngest plan | {money(totals['inngest'])} | "
        f"{money(totals['inngest_with_providers'])} |",
        "",
    ]
    rows += [f"- {note}" for note in result.notes]
    return "\n".join(rows) + "\n"
