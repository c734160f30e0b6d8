"""`senso evaluate --org` resolves a known org by slug first (its name and websites), and only
then takes the text as an org name."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app

ANSWER = "For car loans, Northwind Credit Union (https://www.northwindcu.com/loans) is the pick."


def test_a_slug_means_the_known_org(cli_env: Database, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    by_slug = runner.invoke(app, ["evaluate", "--org", "demo", "--text", ANSWER, "--json"])
    assert by_slug.exit_code == 0, by_slug.output
    evaluation = json.loads(by_slug.output)
    assert evaluation["mentioned"] is True
    assert any(c["type"] == "primary" for c in evaluation["citations"])
    text = runner.invoke(app, ["evaluate", "--org", "demo", "--text", ANSWER])
    assert "Northwind Credit Union" in text.output
    # Not a known slug: the words are the org's name, as before.
    by_name = runner.invoke(app, ["evaluate", "--org", "Acme Bank", "--text", ANSWER, "--json"])
    assert by_name.exit_code == 0 and json.loads(by_name.output)["mentioned"] is False
