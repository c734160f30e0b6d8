"""`senso status` tells runs apart: org, day, attempt, side, status, cells and duration; an org
is given by slug, full name or name prefix."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app


def test_status_shows_org_day_attempt_and_cells(cli_env: Database, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    for day in ("2026-11-20", "2026-11-20", "2026-11-21"):
        assert runner.invoke(app, ["trigger", "--org", "demo", "--day", day]).exit_code == 0
    rows = json.loads(runner.invoke(app, ["status", "--json"]).output)
    seen = sorted((r["org"], str(r["day"]), r["attempt"], r["side"], r["status"]) for r in rows)
    assert seen == [
        ("demo", "2026-11-20", 1, "step_functions", "SUCCEEDED"),
        ("demo", "2026-11-20", 2, "step_functions", "SUCCEEDED"),
        ("demo", "2026-11-21", 1, "step_functions", "SUCCEEDED"),
    ]
    assert all(r["cells"] == 120 and r["cells_completed"] == 120 for r in rows)
    assert all(r["duration_s"] is not None for r in rows)
    text = runner.invoke(app, ["status", "--wide"]).output
    for column in ("org", "day", "attempt", "side", "cells", "duration", "execution arn"):
        assert column in text
    for row in rows:  # whole, on one line, however narrow the terminal
        assert row["execution_arn"] in text and row["name"] in text
    assert "…" not in runner.invoke(app, ["status"]).output  # folded, never cut short

    for ref in ("demo", "Northwind Credit Union", "northwind"):
        listed = runner.invoke(app, ["status", ref, "--json"])
        assert listed.exit_code == 0, (ref, listed.output)
        assert len(json.loads(listed.output)) == 3
    by_option = runner.invoke(app, ["status", "--org", "Northwind", "--json"])
    assert len(json.loads(by_option.output)) == 3
    unknown = runner.invoke(app, ["status", "nobody-here"])
    assert unknown.exit_code != 0 and "no execution or org 'nobody-here'" in unknown.output


def test_status_lists_the_inngest_sides_batches_with_side_inngest(
    cli_env: Database, runner: CliRunner
) -> None:
    """The old system's batches (no senso execution produced them) are runs too: listed beside
    the executions, side `inngest`, filtered by the same --status, --since and org."""
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    for target in ("inngest", "sfn"):
        done = runner.invoke(app, ["trigger", "--org", "demo", "--target", target])
        assert done.exit_code == 0, done.output
    rows = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert sorted(r["side"] for r in rows) == ["inngest", "step_functions"], rows
    (inngest,) = [r for r in rows if r["side"] == "inngest"]
    assert (inngest["org"], inngest["status"], inngest["attempt"]) == ("demo", "SUCCEEDED", None)
    assert inngest["cells"] == inngest["cells_completed"] == 120
    assert inngest["name"] is None and inngest["execution_arn"] is None and inngest["batch_id"]
    for args in (["demo"], ["--org", "demo", "--since", "1h"], ["--status", "SUCCEEDED"]):
        listed = json.loads(runner.invoke(app, ["status", *args, "--json"]).output)
        assert sorted(r["side"] for r in listed) == ["inngest", "step_functions"], args
    for status in ("FAILED", "RUNNING", "ABORTED"):
        assert json.loads(runner.invoke(app, ["status", "--status", status, "--json"]).output) == []
    wide = runner.invoke(app, ["status", "--wide"]).output
    assert f"(batch {inngest['batch_id']})" in wide and " inngest " in wide
