"""`senso reevaluate` as an operator runs it: dry run, in-place update, idempotent, bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from tests.fakes.openai_server import FakeOpenAIServer


def _count(db: Database, sql: str) -> int:
    with db.connect() as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(next(iter(row.values())))


def _ledger(db: Database) -> list[tuple[object, ...]]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT entry_id, amount FROM credit_ledger ORDER BY entry_id"
        ).fetchall()
        balances = conn.execute(
            "SELECT org_id, partner_id, current_balance FROM credit_balances ORDER BY 3"
        ).fetchall()
    return [tuple(r.values()) for r in rows + balances]


def test_reevaluate_dry_run_then_in_place_then_nothing(
    cli_env: Database, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    # Billable answers (simulated ones are free), so "billing unchanged" covers charge rows.
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    assert runner.invoke(app, ["trigger", "--org", "demo"]).exit_code == 0
    with cli_env.transaction() as conn:
        conn.execute("UPDATE org_evals SET sentiment = 'Positive' WHERE mentioned")
    damaged = _count(cli_env, "SELECT count(*) FROM org_evals WHERE sentiment = 'Positive'")
    assert damaged > 0
    billing = _ledger(cli_env)
    runs = _count(cli_env, "SELECT count(*) FROM question_runs")

    dry = runner.invoke(
        app, ["reevaluate", "--org", "demo", "--since", "7d", "--dry-run", "--json"]
    )
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["examined"] == runs and report["changed"] == damaged
    assert report["written"] == 0 and report["changed_by_metric"]["sentiment"] == damaged
    assert report["runs"][0]["changes"][0] == {
        "metric": "sentiment",
        "before": "Positive",
        "after": report["runs"][0]["changes"][0]["after"],
    }
    assert _count(cli_env, "SELECT count(*) FROM org_evals WHERE sentiment = 'Positive'") == damaged

    done = runner.invoke(app, ["reevaluate", "--org", "demo"])
    assert done.exit_code == 0, done.output
    assert f"{damaged} changed, {damaged} written" in done.stdout
    assert _count(cli_env, "SELECT count(*) FROM org_evals WHERE sentiment = 'Positive'") == 0
    assert _count(cli_env, "SELECT count(*) FROM org_evals") == runs
    assert _ledger(cli_env) == billing

    again = json.loads(runner.invoke(app, ["reevaluate", "--org", "demo", "--json"]).stdout)
    assert again["changed"] == 0 and again["written"] == 0
    assert _ledger(cli_env) == billing


def test_reevaluate_bad_input_changes_nothing(cli_env: Database, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    unknown = runner.invoke(app, ["reevaluate", "--org", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.output
    bad_since = runner.invoke(app, ["reevaluate", "--org", "demo", "--since", "yesterday"])
    assert bad_since.exit_code == 2 and "--since" in bad_since.output
