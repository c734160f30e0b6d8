"""The dispatcher state machine (asl/dispatcher-workflow.json) on the local runtime: 500 orgs
with max concurrency 50 start every org's execution and never run more than 50 at once."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from pathlib import Path

import pytest

from handlers.db.database import Database
from handlers.executions import dispatcher_input, execution_name
from senso_cli.local.dispatcher import dispatcher_runtime
from senso_cli.settings import load_settings
from tests.functional.local.counting import CountingRuntime

DAY = date(2026, 12, 1)
# Stands in for the org evaluation: long enough that 50 of them overlap.
CHILD = {
    "StartAt": "Evaluate",
    "States": {"Evaluate": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
               "Done": {"Type": "Pass", "End": True}},
}  # fmt: skip


def most_running_in_store(db: Database, machine_arn: str, stop: threading.Event) -> list[int]:
    """Sample the execution table (what `senso status` reads) until told to stop."""
    seen = [0]

    def sample() -> None:
        while not stop.is_set():
            with db.connect() as conn:
                row = conn.execute(
                    "SELECT count(*) AS n FROM senso.sfn_executions"
                    " WHERE status = 'RUNNING' AND state_machine_arn = %s",
                    (machine_arn,),
                ).fetchone()
            seen[0] = max(seen[0], int(row["n"]) if row else 0)
            stop.wait(0.05)

    threading.Thread(target=sample, daemon=True).start()
    return seen


@pytest.mark.slow
def test_500_orgs_at_max_concurrency_50_never_run_more_than_50(
    db: Database, tmp_path: Path
) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    orgs = CountingRuntime(db, settings, definition=CHILD, evaluation_s=0.2, gate=50)
    dispatcher = dispatcher_runtime(db, settings, orgs, time_scale=0)
    org_ids = [str(uuid.uuid4()) for _ in range(500)]
    document = dispatcher_input(
        [(org_id, execution_name(org_id, DAY)) for org_id in org_ids],
        DAY,
        triggered_by="automatic_scheduler",
        max_concurrency=50,
    )
    started = dispatcher.start(document, name="dispatch-20261201")
    stop = threading.Event()
    sampled = most_running_in_store(db, orgs.state_machine_arn, stop)
    try:
        result = dispatcher.run(started.execution_arn)
    finally:
        stop.set()

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(orgs.finished) == 500
    assert orgs.most_running == 50  # 50 ran together (the gate), and never a 51st
    assert 1 <= sampled[0] <= 50  # the sampler saw executions running, never 51
    # Each org got its own execution, under the name the CLI and Dispatch would give it,
    # with the workflow input the state machine expects.
    record = orgs.store.get(execution_name(org_ids[7], DAY))
    assert record["status"] == "SUCCEEDED"
    assert record["input"]["org_id"] == org_ids[7]
    assert record["input"]["batch_day"] == "2026-12-01"
    assert record["input"]["triggered_by"] == "automatic_scheduler"


def test_an_org_that_already_ran_today_is_not_started_again(db: Database, tmp_path: Path) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    orgs = CountingRuntime(db, settings, definition=CHILD, time_scale=0)
    dispatcher = dispatcher_runtime(db, settings, orgs, time_scale=0)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    done = orgs.start({"org_id": first}, name=execution_name(first, DAY))
    orgs.run(done.execution_arn)
    document = dispatcher_input(
        [(org_id, execution_name(org_id, DAY)) for org_id in (first, second)],
        DAY,
        triggered_by="manual_batch",
        max_concurrency=5,
    )
    result = dispatcher.run(dispatcher.start(document, name="dispatch-again").execution_arn)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(orgs.finished) == 2  # the earlier run, and only the second org now
    assert orgs.store.get(execution_name(second, DAY))["status"] == "SUCCEEDED"


def test_a_failed_org_does_not_fail_the_dispatch(db: Database, tmp_path: Path) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    failing = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Senso.X"}}}
    orgs = CountingRuntime(db, settings, definition=failing, time_scale=0)
    dispatcher = dispatcher_runtime(db, settings, orgs, time_scale=0)
    org_ids = [str(uuid.uuid4()) for _ in range(3)]
    document = dispatcher_input(
        [(org_id, execution_name(org_id, DAY)) for org_id in org_ids],
        DAY,
        triggered_by="manual_batch",
        max_concurrency=2,
    )
    result = dispatcher.run(dispatcher.start(document, name="dispatch-fail").execution_arn)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(orgs.finished) == 3
    assert orgs.store.get(execution_name(org_ids[0], DAY))["status"] == "FAILED"
