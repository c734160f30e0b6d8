"""The whole rehearsal through the CLI, in both database modes: the old system (the stand-in,
writing the product tables as the Go code does; on a product database the old system itself,
played by the same code, since senso refuses the stand-in there) and Step Functions in shadow
(writing only senso's shadow tables), then compare over the two real batches and the rollout
gated on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handlers.repositories.sides import batches_sql
from senso_cli.app import app
from senso_cli.services.compare import compare
from senso_cli.services.compare.report import render_table
from tests.billable import billable_environ
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes_inngest import FakeInngest
from tests.modes import Operator, inngest_config, old_system_writes_its_batch
from tests.product_db import balances, product_row_counts

YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
# As the runbook's rehearsal: every org on Inngest, and one pair on one day is evidence enough.
REHEARSAL = "[rollout]\nlocal_percent = 0\ngate_min_pairs = 1\ngate_min_days = 1\n"


@pytest.fixture(autouse=True)
def _rehearsal_config(senso_home: Path, operator: Operator) -> Iterator[None]:
    """Owned: the stand-in is the old system. External: the old system is real, so senso
    sends its events to Inngest (a local one here) and never runs the stand-in."""
    senso_home.mkdir(parents=True, exist_ok=True)
    if not operator.external:
        (senso_home / "config.toml").write_text(REHEARSAL)
        yield
        return
    with FakeInngest() as inngest:
        config = REHEARSAL + inngest_config(inngest.event_key, inngest.url)
        (senso_home / "config.toml").write_text(config)
        yield


def _old_system_runs(operator: Operator, runner: CliRunner, day: date) -> None:
    """The rollout (0%) sends the org to the old system, which writes its batch of the day."""
    result = runner.invoke(app, ["trigger", "--org", operator.org, "--day", day.isoformat()])
    assert result.exit_code == 0, result.output
    if operator.external:  # the event went to Inngest; the old system writes by itself
        assert "stand-in" not in result.output, result.output
        old_system_writes_its_batch(operator, day)
    else:
        assert "stand-in" in result.output, result.output


def _ranked_answer(_: dict[str, Any]) -> str:
    # Either mode's org listed after another brand, its site cited: the old code's rank 1 and
    # citation false then differ from senso's, as with real answers.
    return (
        "1. **First Federal** has low rates.\n"
        "2. **Northwind Credit Union** ([rates](https://www.northwindcu.com/loans)).\n"
        "3. **Acme Credit Union** ([rates](https://acmecu.example/loans))."
    )


@pytest.fixture
def ranked_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """Both sides answer through a billable provider, so the shadow ledger has charges."""
    with FakeOpenAIServer(answer=_ranked_answer) as server:
        for variable, value in billable_environ(server).items():
            monkeypatch.setenv(variable, value)
        yield server


def test_shadow_run_beside_the_old_system_writes_nothing_of_the_products(
    operator: Operator, runner: CliRunner, ranked_provider: FakeOpenAIServer
) -> None:
    db = operator.db
    _old_system_runs(operator, runner, datetime.now(UTC).date())
    counts, money = product_row_counts(db), balances(db)

    shadow = runner.invoke(app, ["trigger", "--org", operator.org, "--shadow", "--json"])
    assert shadow.exit_code == 0, shadow.output
    data = json.loads(shadow.stdout)
    assert data["execution_arn"].endswith("-shadow") and data["status"] == "SUCCEEDED"
    assert data["batch"]["credits_charged"] == 0

    # The old system's batch of the day was already complete (the stand-in wrote nothing new;
    # externally the event went to Inngest); the shadow side wrote only senso's shadow tables.
    assert product_row_counts(db) == counts
    assert balances(db) == money
    with db.connect() as conn:
        rows = conn.execute(
            f"SELECT orchestrator, shadow, status FROM ({batches_sql(db.tables)}) b "  # noqa: S608
            "ORDER BY orchestrator"
        ).fetchall()
        shadow_ledger = conn.execute("SELECT count(*) AS n FROM senso.shadow_credit_ledger")
        assert shadow_ledger.fetchone() == {"n": operator.cells}
    assert [(r["orchestrator"], r["shadow"], r["status"]) for r in rows] == [
        ("inngest", False, "completed"),
        ("step_functions", True, "completed"),
    ]
    # A pair of an old-system batch and a senso batch passes: rank and citation differ only
    # by the old code's known weaknesses, which the report names as such.
    compared = runner.invoke(app, ["compare", "--since", "1d", "--json"])
    assert compared.exit_code == 0, compared.output
    report = json.loads(compared.stdout)
    assert report["verdict"] == "PASS" and report["paired"]["pairs"] == 1, report["summary"]
    result = compare(db, datetime.now(UTC) - timedelta(days=1))
    labels = {s.metric: s.label for s in result.paired.summaries}
    assert "known old-system weakness" in labels["mean_rank"]
    assert "known old-system weakness" in labels["citation_rate"]
    # ...and the text report an operator reads says so too, not only the JSON labels.
    text = render_table(result)
    excused = text.split("Differences excused as known old-system weaknesses")[1]
    assert "mean_rank" in excused.split("\n\n")[0]
    assert "citation_rate" in excused.split("\n\n")[0]

    # The pair is the evidence the rollout gate reads: 10% goes through without --force.
    raised = runner.invoke(app, ["rollout", "--percent", "10", "--reason", "shadow passed"])
    assert raised.exit_code == 0, raised.output
    assert "0% -> 10%" in raised.output and "forced" not in raised.output, raised.output
    status = runner.invoke(app, ["rollout", "status"])
    assert "stage: 10%" in status.output, status.output
    back = runner.invoke(app, ["rollback", "--yes", "--reason", "drill"])
    assert back.exit_code == 0 and "rolled back" in back.output, back.output
    assert product_row_counts(db) == counts and balances(db) == money


def test_a_model_dropped_on_one_side_fails_compare_and_the_gate(
    operator: Operator, runner: CliRunner
) -> None:
    db = operator.db
    day = ["--day", YESTERDAY]
    _old_system_runs(operator, runner, date.fromisoformat(YESTERDAY))
    models = operator.scalar(
        f"SELECT count(*) FROM {db.tables.geo_models} WHERE org_id = %s",  # noqa: S608
        operator.org_id,
    )
    # The product removes a model after the old system ran; the shadow side no longer runs it.
    with db.transaction() as conn:
        dropped = conn.execute(
            f"DELETE FROM {db.tables.geo_models} WHERE geo_model_id = ("  # noqa: S608
            f" SELECT geo_model_id FROM {db.tables.geo_models} WHERE org_id = %s"
            " ORDER BY created_at DESC LIMIT 1) RETURNING name",
            (operator.org_id,),
        ).fetchone()["name"]
    shadow = runner.invoke(app, ["trigger", "--org", operator.org, "--shadow", *day])
    assert shadow.exit_code == 0, shadow.output

    compared = runner.invoke(app, ["compare", "--since", "2d", "--json"])
    assert compared.exit_code == 1, compared.output
    report = json.loads(compared.stdout)
    assert report["verdict"] == "FAIL" and "cells" in report["paired"]["failed_metrics"]
    # The org as the operator typed it (senso's alias, or the product's org id).
    cells = next(m for m in report["paired"]["metrics"] if m["metric"] == "cells")
    assert cells["orgs"] == [operator.org]
    assert report["paired"]["model_differences"] == [
        {
            "org": operator.org,
            "batch_day": YESTERDAY,
            "model": dropped,
            "step_functions": 0,
            "inngest": operator.cells // models,
        }
    ]
    text = runner.invoke(app, ["compare", "--since", "2d"]).output
    assert "FAIL" in text and "cells" in text and dropped in text and operator.org in text

    refused = runner.invoke(app, ["rollout", "--percent", "10", "--reason", "try"])
    assert refused.exit_code == 1 and "gate did not pass" in refused.output, refused.output
    assert "cells" in refused.output
