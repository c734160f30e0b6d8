"""`senso evaluate`: score one answer for one org the way the workflow does, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from handlers.evaluation.models import SentimentEvidence
from senso_cli.context import state
from senso_cli.errors import EXIT_BAD_INPUT
from senso_cli.output import err, out, print_json
from senso_cli.params import JsonOpt
from senso_cli.services.evaluate import EvaluationReport, evaluate_text, org_profile, read_answer


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _sentiment_evidence(evidence: SentimentEvidence) -> str:
    if evidence.method == "model":
        return f"model label {evidence.model_label!r}"
    terms = ", ".join(f"{term} {value:+.1f}" for term, value in evidence.terms) or "no scored terms"
    return f"score {evidence.score:+.2f}: {terms}"


def render(report: EvaluationReport) -> None:
    result = report.evaluation
    out.print(f"[bold]{report.org.name}[/]", markup=True)
    if result.failed_run:
        out.print("the answer is the failed-run placeholder: nothing to evaluate")
        return
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("mentioned", _yes_no(result.mentioned))
    summary.add_row("mentions", str(result.mention_count))
    summary.add_row("share of voice", f"{result.share_of_voice:.2f}%")
    summary.add_row("sentiment", result.sentiment or "-")
    summary.add_row("rank", str(result.mention_rank) if result.mention_rank else "-")
    summary.add_row("cited (primary)", _yes_no(result.citation))
    summary.add_row("competitors", ", ".join(result.competitors) or "-")
    summary.add_row("variations", ", ".join(report.variations.names))
    evidence = result.evidence
    matched = sorted({span.text for span in evidence.matched_names})
    summary.add_row("matched as", ", ".join(matched) or "-")
    rejected = sorted({span.text for span in evidence.rejected_names})
    if rejected:
        summary.add_row("not accepted", ", ".join(rejected))
    if evidence.sentiment is not None:
        summary.add_row("sentiment from", _sentiment_evidence(evidence.sentiment))
    summary.add_row("evaluator", result.evaluator)
    out.print(summary)
    if result.mention_text:
        out.print("\n[bold]mention text[/]", markup=True)
        out.print(result.mention_text, markup=False)
    if result.citations:
        table = Table(title="citations", title_justify="left")
        for column in ("type", "domain", "url"):
            table.add_column(column)
        for citation in result.citations:
            table.add_row(citation.type, citation.domain, citation.url)
        out.print(table)
    else:
        out.print("no citations")


def evaluate(
    ctx: typer.Context,
    org: Annotated[
        str,
        typer.Option(
            "--org",
            metavar="ORG",
            help="A known org's slug (its name and websites are used), else the org's name.",
            show_default=False,
        ),
    ],
    website: Annotated[
        list[str] | None,
        typer.Option(
            "--website", metavar="URL", help="An org website (repeatable); marks primary citations."
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", metavar="TEXT", help="The answer to evaluate.", show_default=False),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", metavar="PATH", help="A file holding the answer (UTF-8).", show_default=False
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Evaluate one answer for an org: mention, share of voice, sentiment, rank, citations.

    Give the answer with exactly one of --text or --file. Runs offline with the deterministic
    evaluator; nothing is written to the database.
    """
    if (text is None) == (file is None):
        err.print("error: give exactly one of --text or --file", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    answer = read_answer(file) if file is not None else text or ""
    profile = org_profile(state(ctx).existing_db(), org, website or [])
    report = evaluate_text(profile.name, profile.websites, answer)
    if json_output:
        print_json(report.evaluation)
        return
    render(report)
