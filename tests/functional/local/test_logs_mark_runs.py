"""`senso logs` marks each line with its run when more than one run can be shown, so two
interleaved runs stay apart; narrowed to one execution, lines stay short."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app


def test_lines_of_two_runs_are_told_apart(cli_env: Database, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    for day in ("2026-11-20", "2026-11-21"):
        assert runner.invoke(app, ["trigger", "--org", "demo", "--day", day]).exit_code == 0
    runs = json.loads(runner.invoke(app, ["status", "--json"]).output)
    org8 = runs[0]["org_id"][:8]
    text = runner.invoke(app, ["logs", "--since", "1h", "--step", "TrackUsage"]).output
    lines = [line for line in text.splitlines() if "TrackUsage" in line]
    assert any(f"{org8} 11-20 a1" in line for line in lines), text
    assert any(f"{org8} 11-21 a1" in line for line in lines), text
    assert all(f"{org8} 11-2" in line for line in lines)
    one = runner.invoke(
        app, ["logs", "--since", "1h", "--step", "TrackUsage", "--execution", runs[0]["name"]]
    ).output
    assert one.strip() and f"{org8} 11-2" not in one
