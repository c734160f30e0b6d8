"""trigger, status, redrive and run-definition through the CLI, as an operator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes_inngest import FakeInngest
from tests.modes import Operator, inngest_config
from tests.product_db import balances, product_row_counts


def _seed(runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0


def test_trigger_runs_the_org_and_reports_the_batch(
    operator: Operator, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    # A billable provider (a local OpenAI-protocol server): simulated answers are free.
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "SUCCEEDED"
    assert data["batch"]["cells"] == operator.cells
    assert data["batch"]["completed"] == operator.cells
    assert data["batch"]["simulated"] is False and data["batch"]["simulated_cells"] == 0
    assert data["batch"]["credits_charged"] == float(operator.credits_per_run)
    # In the product's tables, in both modes: one completed latest batch, its runs latest,
    # each cell charged once, the balance moved by exactly the ledger rows.
    assert operator.batches() == [("completed", True)]
    assert operator.runs(latest=True) == operator.cells
    assert operator.ledger_charges() == (operator.cells, operator.credits_per_run)
    assert operator.balance() == operator.credits - operator.credits_per_run

    listed = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert [e["status"] for e in listed] == ["SUCCEEDED"]
    one = json.loads(runner.invoke(app, ["status", listed[0]["name"], "--json"]).output)
    assert [s["name"] for s in one["states"]][:3] == [
        "GetOrCreateBatch",
        "CheckIfBatchCompleted",
        "CheckBalance",
    ]
    assert all(s["status"] == "succeeded" for s in one["states"])


def test_a_simulated_run_is_free_and_says_so(operator: Operator, runner: CliRunner) -> None:
    # Simulated answers are generated offline: no ledger row, no balance change, yet the
    # batch completes; the output says why nothing was charged.
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--json"])
    assert result.exit_code == 0, result.output
    batch = json.loads(result.output)["batch"]
    assert batch["simulated"] is True and batch["simulated_cells"] == operator.cells
    assert batch["credits_charged"] == 0 and batch["credits_batch_total"] == 0
    assert operator.batches() == [("completed", True)]
    assert operator.ledger_charges() == (0, 0)
    assert operator.balance() == operator.credits
    again = runner.invoke(app, ["trigger", "--org", operator.org])
    assert "credits charged: 0.00 (simulated answers are free)" in again.output, again.output


def test_trigger_unknown_org_starts_nothing(cli_env: Database, runner: CliRunner) -> None:
    result = runner.invoke(app, ["trigger", "--org", "nope"])
    assert result.exit_code == 2
    assert "no org 'nope'" in result.output
    assert json.loads(runner.invoke(app, ["status", "--json"]).output) == []


def test_trigger_without_credits_fails_with_the_error(
    operator: Operator, runner: CliRunner
) -> None:
    with operator.db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    result = runner.invoke(app, ["trigger", "--org", operator.org])
    assert result.exit_code == 1
    assert "Senso.InsufficientCredits" in result.output
    assert operator.batches() == [("failed", False)]
    assert operator.ledger_charges() == (0, 0)


def test_redrive_after_credits_arrive_resumes_the_failed_batch(
    operator: Operator, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    with operator.db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    failed = runner.invoke(app, ["trigger", "--org", operator.org])
    assert failed.exit_code == 1 and "Senso.InsufficientCredits" in failed.output
    name = json.loads(runner.invoke(app, ["status", "--json"]).output)[0]["name"]
    with operator.db.transaction() as conn:  # the product tops the balance up
        conn.execute("UPDATE credit_balances SET current_balance = %s", (operator.credits,))

    redriven = runner.invoke(app, ["redrive", name, "--json"])

    assert redriven.exit_code == 0, redriven.output
    # The failed execution ended in its Fail state: a new attempt resumes the same batch.
    assert operator.batches() == [("completed", True)]
    assert operator.runs(latest=True) == operator.cells
    assert operator.ledger_charges() == (operator.cells, operator.credits_per_run)
    listed = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert sorted((e["name"][-2:], e["status"]) for e in listed) == [
        ("a1", "FAILED"),
        ("a2", "SUCCEEDED"),
    ]


@pytest.fixture
def inngest_configured(senso_home: Path) -> Iterator[FakeInngest]:
    """The Inngest side sends its events to a local Inngest (no stand-in run)."""
    with FakeInngest() as inngest:
        senso_home.mkdir(parents=True, exist_ok=True)
        (senso_home / "config.toml").write_text(inngest_config(inngest.event_key, inngest.url))
        yield inngest


def test_redrive_of_a_failed_shadow_run_stays_a_shadow_run(
    operator: Operator,
    runner: CliRunner,
    billable_env: FakeOpenAIServer,
    inngest_configured: FakeInngest,
) -> None:
    with operator.db.transaction() as conn:
        conn.execute("UPDATE credit_balances SET current_balance = 0")
    failed = runner.invoke(app, ["trigger", "--org", operator.org, "--shadow", "--json"])
    assert failed.exit_code == 1, failed.output
    name = json.loads(failed.stdout)["execution_arn"].rsplit(":", 1)[-1]
    assert name.endswith("-a1-shadow")
    with operator.db.transaction() as conn:  # the product tops the balance up
        conn.execute("UPDATE credit_balances SET current_balance = %s", (operator.credits,))
    counts, money = product_row_counts(operator.db), balances(operator.db)

    redriven = runner.invoke(app, ["redrive", name, "--json"])

    assert redriven.exit_code == 0, redriven.output
    assert "-a2-shadow" in redriven.stdout, redriven.stdout
    # The new attempt is a shadow run too: no product row, no credit.
    assert product_row_counts(operator.db) == counts
    assert balances(operator.db) == money
    shadow_batches = operator.scalar(
        "SELECT count(*) FROM senso.shadow_question_run_batches WHERE status = 'completed'"
    )
    assert shadow_batches == 1


def test_redrive_of_a_succeeded_execution_is_refused(operator: Operator, runner: CliRunner) -> None:
    runner.invoke(app, ["trigger", "--org", operator.org])
    name = json.loads(runner.invoke(app, ["status", "--json"]).output)[0]["name"]
    result = runner.invoke(app, ["redrive", name])
    assert result.exit_code == 2 and "cannot be redriven" in result.output
    assert operator.batches() == [("completed", True)]


def test_run_definition_with_a_mock_config(tmp_path: Path, runner: CliRunner) -> None:
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                "ResultSelector": {"charged.$": "$.Payload.amount"},
                "End": True,
            }
        },
    }
    mocks = {
        "StateMachines": {"billing": {"TestCases": {"RetryThenPay": {"Charge": "FlakyThenOk"}}}},
        "MockedResponses": {
            "FlakyThenOk": {
                "0": {"Throw": {"Error": "Flaky", "Cause": "try again"}},
                "1": {"Return": {"Payload": {"amount": 5}}},
            }
        },
    }
    (tmp_path / "m.asl.json").write_text(json.dumps(definition))
    (tmp_path / "mocks.json").write_text(json.dumps(mocks))
    result = runner.invoke(
        app,
        [
            "run-definition",
            str(tmp_path / "m.asl.json"),
            "--mock-config",
            str(tmp_path / "mocks.json"),
            "--test-case",
            "RetryThenPay",
            "--time-scale",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["output"] == {"charged": 5}
    assert [e["type"] for e in data["history"]].count("TaskFailed") == 1


def test_run_definition_rejects_a_file_that_is_not_json(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "bad.json").write_text("StartAt: nope")
    result = runner.invoke(app, ["run-definition", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "is not JSON" in result.output


def test_logs_show_the_handlers_lines_beside_the_history(
    cli_env: Database, runner: CliRunner
) -> None:
    _seed(runner)
    runner.invoke(app, ["trigger", "--org", "demo"])
    result = runner.invoke(
        app, ["logs", "--since", "10m", "--step", "TrackUsage", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    handler = [line for line in lines if line["source"] == "handler"]
    assert [line["message"] for line in handler] == ["step started", "step succeeded"]
    # The demo runs on simulated answers, which are free.
    output = handler[1]["fields"]["output"]
    assert (output["charged_cells"], output["simulated_cells"]) == (0, 120)
    assert any(line["source"] == "state_machine" for line in lines)
    stamps = [line["timestamp"] for line in lines]
    assert stamps == sorted(stamps)
