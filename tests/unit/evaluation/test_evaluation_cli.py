"""`senso evaluate` through CliRunner, registered on a Typer app of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from senso_cli.commands.evaluate import evaluate
from senso_cli.errors import SensoGroup

ANSWER = (
    "1. **Chase** – big network.\n"
    "2. **Acme Bank** – excellent service ([rates](https://www.acmebank.com/rates/)).\n"
    "3. **Ally** – online only, see https://ally.com/bank.\n"
)


@pytest.fixture
def cli() -> typer.Typer:
    # SensoGroup maps senso errors to exit codes as the real app does.
    app = typer.Typer(cls=SensoGroup)
    app.command("evaluate")(evaluate)
    app.command("noop")(lambda: None)  # a second command keeps "evaluate" a subcommand
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_text_report(cli: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["evaluate", "--org", "Acme Bank", "--website", "acmebank.com", "--text", ANSWER]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (
        "mentioned",
        "yes",
        "positive",
        "Chase, Ally",
        "https://acmebank.com/rates",
        "primary",
        "secondary",
        "AcmeBank",
    ):
        assert expected in out
    assert "rank" in out and "2" in out


def test_file_with_json_output(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text(ANSWER, encoding="utf-8")
    result = runner.invoke(
        cli,
        [
            "evaluate",
            "--org",
            "Acme Bank",
            "--website",
            "https://acmebank.com",
            "--file",
            str(answer),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["mentioned"] is True
    assert payload["mention_rank"] == 2
    assert payload["citation"] is True
    assert payload["competitors"] == ["Chase", "Ally"]
    assert {c["url"]: c["type"] for c in payload["citations"]} == {
        "https://acmebank.com/rates": "primary",
        "https://ally.com/bank": "secondary",
    }
    # The evidence of each metric: names matched, passages, scored terms, rank, dropped URLs.
    evidence = payload["evidence"]
    assert "Acme Bank" in evidence["names_searched"]
    assert [m["text"] for m in evidence["matched_names"]] == ["Acme Bank"]
    assert " || ".join(evidence["passages"]) == payload["mention_text"]
    assert evidence["mention_bytes"] == len(payload["mention_text"].encode("utf-8"))
    assert (
        round(100 * evidence["mention_bytes"] / evidence["response_bytes"], 4)
        == (payload["share_of_voice"])
    )
    assert evidence["sentiment"]["method"] == "lexicon"
    assert ["excellent", 2.7] in evidence["sentiment"]["terms"]
    assert evidence["competitors_before"] == ["Chase"]


@pytest.mark.parametrize("extra", [[], ["--text", ANSWER, "--file", "answer.md"]])
def test_exactly_one_of_text_or_file(cli: typer.Typer, runner: CliRunner, extra: list[str]) -> None:
    result = runner.invoke(cli, ["evaluate", "--org", "Acme Bank", *extra])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: give exactly one of --text or --file"
    assert result.stdout == ""


def test_missing_file_is_bad_input(cli: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["evaluate", "--org", "Acme", "--file", str(tmp_path / "none.md")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_empty_text_is_bad_input(cli: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["evaluate", "--org", "Acme", "--text", "  "])
    assert result.exit_code == 2
    assert "the answer to evaluate is empty" in result.stderr


def test_org_is_required(cli: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(cli, ["evaluate", "--text", ANSWER])
    assert result.exit_code == 2
    assert "--org" in result.stderr
