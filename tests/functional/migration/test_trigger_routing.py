"""`senso trigger` routes through the rollout: override, shadow, and the stand-in's label."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.repositories.sides import batches_sql
from senso_cli.app import app
from tests.fakes.openai_server import FakeOpenAIServer
from tests.modes import Operator
from tests.product_db import balances, product_row_counts


def _orchestrators(db: Database) -> list[str]:
    """Who wrote each batch, as the database tells (a shadow batch lives in senso's tables)."""
    with db.connect() as conn:
        rows = conn.execute(
            f"SELECT orchestrator, shadow FROM ({batches_sql(db.tables)}) b"  # noqa: S608
        ).fetchall()
    return sorted(r["orchestrator"] + ("-shadow" if r["shadow"] else "") for r in rows)


def test_before_any_rollout_trigger_runs_the_state_machine(
    operator: Operator, runner: CliRunner
) -> None:
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "SUCCEEDED"
    assert _orchestrators(operator.db) == ["step_functions"]


# The stand-in plays the old system on a database senso owns; on a product database senso
# refuses it (test_the_standin_is_refused_on_a_product_database).
@pytest.mark.parametrize("operator", ["owned"], indirect=True)
def test_rollout_at_zero_routes_to_the_labelled_inngest_standin(
    operator: Operator, runner: CliRunner
) -> None:
    forced = ["rollout", "--percent", "10", "--force", "--reason", "first stage"]
    assert runner.invoke(app, forced).exit_code == 0
    assert runner.invoke(app, ["rollout", "--percent", "0", "--reason", "back"]).exit_code == 0
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["target"] == "inngest" and "stand-in" in data["label"]
    assert data["routing"].startswith("rollout 0%")
    assert _orchestrators(operator.db) == ["inngest"]


# The stand-in plays the old system on a database senso owns; on a product database senso
# refuses it (test_the_standin_is_refused_on_a_product_database).
@pytest.mark.parametrize("operator", ["owned"], indirect=True)
def test_target_override_and_shadow(operator: Operator, runner: CliRunner) -> None:
    standin = runner.invoke(app, ["trigger", "--org", operator.org, "--target", "inngest"])
    assert standin.exit_code == 0, standin.output
    assert _orchestrators(operator.db) == ["inngest"]
    shadow = runner.invoke(
        app, ["trigger", "--org", operator.org, "--shadow", "--day", "2026-01-05"]
    )
    assert shadow.exit_code == 0, shadow.output
    assert "stand-in" in shadow.output and "SUCCEEDED" in shadow.output
    both = runner.invoke(app, ["trigger", "--org", operator.org, "--shadow", "--target", "sfn"])
    assert both.exit_code == 2
    bad = runner.invoke(app, ["trigger", "--org", operator.org, "--target", "lambda"])
    assert bad.exit_code == 2 and "--target must be sfn or inngest" in bad.output


def test_trigger_batch_leaves_inngest_orgs_to_the_legacy_side(
    operator: Operator, runner: CliRunner
) -> None:
    runner.invoke(app, ["rollout", "--percent", "10", "--force", "--reason", "stage"])
    runner.invoke(app, ["rollout", "--percent", "0", "--reason", "back"])
    routed = runner.invoke(app, ["trigger-batch", "--all", "--json"])
    assert routed.exit_code == 0, routed.output
    assert json.loads(routed.output)["counts"]["routed_to_inngest"] == 1
    assert _orchestrators(operator.db) == []
    forced = runner.invoke(app, ["trigger-batch", "--all", "--target", "sfn", "--json"])
    assert json.loads(forced.output)["counts"]["started"] == 1
    assert _orchestrators(operator.db) == ["step_functions"]


def test_local_trigger_batch_rerun_starts_nothing_new(
    operator: Operator, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    first = json.loads(runner.invoke(app, ["trigger-batch", "--all", "--json"]).output)
    again = json.loads(runner.invoke(app, ["trigger-batch", "--all", "--json"]).output)
    assert first["counts"]["started"] == 1
    assert again["counts"] == {
        "started": 0,
        "already_running": 0,
        "already_succeeded": 1,
        "failed": 0,
    }
    # What the product shows after both runs: one batch, each cell run and charged once (on a
    # billable provider: simulated answers are free).
    assert operator.batches() == [("completed", True)]
    assert operator.runs() == operator.cells
    assert operator.ledger_charges() == (operator.cells, operator.credits_per_run)
    assert operator.balance() == operator.credits - operator.credits_per_run


# The stand-in plays the old system on a database senso owns; on a product database senso
# refuses it (test_the_standin_is_refused_on_a_product_database).
@pytest.mark.parametrize("operator", ["owned"], indirect=True)
def test_shadow_json_is_one_document(operator: Operator, runner: CliRunner) -> None:
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--shadow", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "SUCCEEDED"
    assert data["shadow"]["inngest"]["status"] == "SUCCEEDED"
    assert data["shadow"]["inngest"]["routing"] == "--shadow: both sides"
    assert data["batch"]["credits_charged"] == 0  # a shadow run charges nobody
    assert _orchestrators(operator.db) == ["inngest", "step_functions-shadow"]


def test_trigger_batch_by_schedule_day_reads_the_product_schedule(
    operator: Operator, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    """The org is scheduled on Mondays and Thursdays (owned: imported; external: written by
    senso-api in the product's schedule table)."""
    tuesday = runner.invoke(
        app, ["trigger-batch", "--schedule-day", "tuesday", "--target", "sfn", "--json"]
    )
    assert tuesday.exit_code == 0, tuesday.output
    assert json.loads(tuesday.stdout)["items"] == []
    assert operator.batches() == []
    monday = runner.invoke(
        app, ["trigger-batch", "--schedule-day", "monday", "--target", "sfn", "--json"]
    )
    assert monday.exit_code == 0, monday.output
    items = json.loads(monday.stdout)["items"]
    assert [(i["ref"], i["outcome"]) for i in items] == [(str(operator.org_id), "started")]
    assert operator.batches() == [("completed", True)]
    assert operator.runs(latest=True) == operator.cells
    assert operator.ledger_charges() == (operator.cells, operator.credits_per_run)
    assert operator.balance() == operator.credits - operator.credits_per_run


@pytest.mark.parametrize("operator", ["external"], indirect=True)
def test_the_standin_is_refused_on_a_product_database(
    operator: Operator, runner: CliRunner
) -> None:
    """The stand-in writes batches and charges as the old code does: on the product's database
    it would charge customers and show a batch of its own. Nothing starts, nothing is written."""
    counts, money = product_row_counts(operator.db), balances(operator.db)
    assert runner.invoke(app, ["rollout", "--percent", "0", "--reason", "start"]).exit_code == 0
    for args in (
        ["trigger", "--org", operator.org],  # routed to Inngest by the rollout
        ["trigger", "--org", operator.org, "--target", "inngest"],
        ["trigger", "--org", operator.org, "--shadow"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "stand-in is refused on the product's database" in result.output
        assert "SENSO_INNGEST_EVENT_KEY" in result.output
    assert product_row_counts(operator.db) == counts
    assert balances(operator.db) == money
    assert json.loads(runner.invoke(app, ["status", "--json"]).output) == []
