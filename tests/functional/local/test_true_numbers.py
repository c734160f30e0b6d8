"""Numbers that are true: credits shown are this run's, grants the ledger can hold exactly,
no future batch days."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from tests.fakes.openai_server import FakeOpenAIServer


def _ledger(db: Database) -> list[tuple[object, ...]]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT amount, source_type FROM credit_ledger ORDER BY created_at, entry_id"
        ).fetchall()
    return [tuple(row.values()) for row in rows]


def test_a_rerun_of_a_completed_batch_shows_nothing_charged(
    cli_env: Database, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    # A billable provider (a local OpenAI-protocol server): simulated answers are free.
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    first = runner.invoke(app, ["trigger", "--org", "demo", "--json"])
    assert json.loads(first.stdout)["batch"]["credits_charged"] == 6.0, first.output
    again = runner.invoke(app, ["trigger", "--org", "demo", "--json"])
    batch = json.loads(again.stdout)["batch"]
    assert batch["credits_charged"] == 0 and batch["credits_batch_total"] == 6.0
    text = runner.invoke(app, ["trigger", "--org", "demo"])
    assert "credits charged: 0.00 by this run (batch total 6.00)" in text.output, text.output


def test_grants_the_ledger_cannot_hold_change_nothing(cli_env: Database, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    before = _ledger(cli_env)
    for amount, words in (
        ("0.0000001", "more than 6 decimal places"),
        ("1e9", "above the ledger's maximum"),
        ("99999999", "above the ledger's maximum"),  # fits alone, not on top of the balance
    ):
        result = runner.invoke(app, ["credits", "grant", "demo", amount, "--reason", "x"])
        assert result.exit_code == 2, (amount, result.output)
        assert words in result.output and "Traceback" not in result.output
        assert _ledger(cli_env) == before
    ok = runner.invoke(app, ["credits", "grant", "demo", "0.000001", "--reason", "smallest"])
    assert ok.exit_code == 0 and "granted 0.000001 credits" in ok.output, ok.output


def test_a_future_day_is_refused_before_anything_starts(
    cli_env: Database, runner: CliRunner
) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    before = _ledger(cli_env)
    result = runner.invoke(app, ["trigger", "--org", "demo", "--day", "2030-01-01"])
    assert result.exit_code == 2 and "is in the future" in result.output, result.output
    batch = runner.invoke(app, ["trigger-batch", "--all", "--day", "2030-01-01"])
    assert batch.exit_code == 2 and "is in the future" in batch.output, batch.output
    with cli_env.connect() as conn:
        assert conn.execute("SELECT count(*) AS n FROM question_run_batches").fetchone()["n"] == 0
    assert _ledger(cli_env) == before
