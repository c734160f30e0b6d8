"""The foundation commands through the CLI, as an operator types them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app


def test_seed_then_list_and_show(cli_env: Database, runner: CliRunner) -> None:
    first = runner.invoke(app, ["dev", "seed"])
    assert first.exit_code == 0, first.output
    assert "imported demo" in first.output
    again = runner.invoke(app, ["dev", "seed"])
    assert "no changes" in again.output
    listed = runner.invoke(app, ["orgs", "list", "--json"])
    assert [org["slug"] for org in json.loads(listed.output)] == ["demo"]
    shown = runner.invoke(app, ["orgs", "show", "demo", "--json"])
    assert json.loads(shown.output)["matrix_size"] == 120


def test_unknown_org_is_bad_input(cli_env: Database, runner: CliRunner) -> None:
    result = runner.invoke(app, ["orgs", "show", "nope"])
    assert result.exit_code == 2
    assert "no org 'nope'" in result.output
    assert "hint:" in result.output


def test_invalid_import_exits_2_and_names_the_field(
    cli_env: Database, runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "slug: x\nname: X\npartner: {slug: p, name: P}\nquestions: [Question one]\n"
        "models: [m]\nlocations: [Atlantis]\n"
    )
    result = runner.invoke(app, ["orgs", "import", str(bad)])
    assert result.exit_code == 2
    assert "orgs[0].locations[0]" in result.output
    assert json.loads(runner.invoke(app, ["orgs", "list", "--json"]).output) == []


def test_credits_grant_is_idempotent_per_key(cli_env: Database, runner: CliRunner) -> None:
    runner.invoke(app, ["dev", "seed"])
    first = runner.invoke(app, ["credits", "grant", "demo", "25", "--reason", "pilot", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["balance"] == 275
    second = runner.invoke(app, ["credits", "grant", "demo", "25", "--reason", "pilot", "--json"])
    assert json.loads(second.output) | {"granted": True} == json.loads(first.output)
    assert json.loads(second.output)["granted"] is False
    other = runner.invoke(
        app, ["credits", "grant", "demo", "25", "--reason", "pilot", "--key", "k2"]
    )
    assert "balance: 300.00" in other.output


def test_credits_grant_rejects_bad_amounts(cli_env: Database, runner: CliRunner) -> None:
    runner.invoke(app, ["dev", "seed"])
    for amount in ["-5", "0", "ten", "nan"]:
        result = runner.invoke(app, ["credits", "grant", "demo", amount, "--reason", "x"])
        assert result.exit_code == 2, (amount, result.output)


def test_config_show_masks_secrets_and_names_sources(
    cli_env: Database, runner: CliRunner, monkeypatch
) -> None:
    monkeypatch.setenv("SENSO_OPENAI_API_KEY", "sk-very-secret-value")
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    assert "sk-very-secret-value" not in result.output
    settings = {row["key"]: row for row in json.loads(result.output)["settings"]}
    assert settings["providers.openai.api_key"]["value"] == "********"
    assert settings["providers.openai.api_key"]["source"] == "environment SENSO_OPENAI_API_KEY"
    assert settings["matrix_concurrency"]["source"] == "default"


def test_db_status_reports_external_database(cli_env: Database, runner: CliRunner) -> None:
    result = runner.invoke(app, ["db", "status", "--json"])
    data = json.loads(result.output)
    assert data["mode"] == "external" and data["reachable"] is True
    assert data["pending_migrations"] == []
