"""`--env test` commands against an environment whose database is owned or is the product's
(external: the old system's tables, no constraint, senso's schema migrated): the org, its
schedule and its executions are found the same way, and the commands write no product row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from tests.functional.awsmode.conftest import ENV, HANDLER_GROUP, REGION, SFN_GROUP
from tests.functional.awsmode.conftest import write_environment as write_env
from tests.modes import Operator
from tests.product_db import balances, product_row_counts

DAY = "2025-03-03"  # a Monday: the org is scheduled on Mondays and Thursdays


def test_trigger_status_and_scheduled_batch_on_the_environments_database(
    operator: Operator,
    app: typer.Typer,
    runner: CliRunner,
    senso_home: Path,
    state_machine_arn: str,
    dispatcher_arn: str,
    sfn_client: Any,
) -> None:
    write_env(
        senso_home,
        region=REGION,
        state_machine_arn=state_machine_arn,
        dispatcher_state_machine_arn=dispatcher_arn,
        handler_log_group=HANDLER_GROUP,
        state_machine_log_group=SFN_GROUP,
        database_url=operator.db.url,
    )
    counts, money = product_row_counts(operator.db), balances(operator.db)
    name = f"org-{operator.org_id}-20250303-a1"

    started = runner.invoke(
        app,
        ["--env", ENV, "trigger", "--org", operator.org, "--day", DAY, "--no-wait", "--json"],
    )
    assert started.exit_code == 0, started.output
    assert json.loads(started.stdout)["name"] == name
    described = sfn_client.describe_execution(
        executionArn=json.loads(started.stdout)["execution_arn"]
    )
    assert json.loads(described["input"])["org_id"] == str(operator.org_id)

    listed = runner.invoke(app, ["--env", ENV, "status", "--org", operator.org, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [r["name"] for r in json.loads(listed.stdout)] == [name]

    # The schedule comes from the product's schedule table; today's execution is running.
    batch = runner.invoke(
        app, ["--env", ENV, "trigger-batch", "--day", DAY, "--schedule-day", "monday", "--json"]
    )
    assert batch.exit_code == 0, batch.output
    items = json.loads(batch.stdout)["items"]
    assert [(i["ref"], i["outcome"]) for i in items] == [(str(operator.org_id), "already_running")]
    none = runner.invoke(
        app, ["--env", ENV, "trigger-batch", "--day", DAY, "--schedule-day", "tuesday", "--json"]
    )
    assert none.exit_code == 0 and json.loads(none.stdout)["items"] == [], none.output

    # Starting executions on AWS writes nothing the product owns (the steps do, on AWS).
    assert product_row_counts(operator.db) == counts
    assert balances(operator.db) == money
