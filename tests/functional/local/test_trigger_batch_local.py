"""`senso trigger-batch` on the local runtime: its orgs go to one dispatcher execution whose
Map never runs more than `--max-concurrency` of them at once, Ctrl-C stops what runs, and
`--shadow` (like a shadow Dispatch) leaves every product row and balance as it was."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.executions import execution_name
from handlers.steps.dispatch import DispatchServices
from senso_cli.app import app
from senso_cli.local.dispatcher import LocalDispatcher, run_dispatchers
from senso_cli.local.runtime import LocalRuntime
from senso_cli.runs.local import LocalRuns
from senso_cli.services import trigger_batch
from senso_cli.services.trigger import LocalExecutions
from senso_cli.settings import load_settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.functional.awsmode.conftest import seed
from tests.functional.local.counting import CountingRuntime
from tests.functional.local.test_dispatcher import CHILD, most_running_in_store
from tests.modes import Operator
from tests.product_db import balances, product_row_counts

DAY = date(2026, 12, 1)


def test_n_orgs_at_max_concurrency_k_never_run_more_than_k(db: Database, tmp_path: Path) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    refs = [f"org{n:02d}" for n in range(12)]
    org_ids = {ref: str(seed(db, ref)) for ref in refs}
    orgs = CountingRuntime(db, settings, definition=CHILD, evaluation_s=0.2, gate=3)
    runs = LocalRuns(db, lambda: orgs)
    progress: list[tuple[str, int, int]] = []
    stop = threading.Event()
    sampled = most_running_in_store(db, orgs.state_machine_arn, stop)
    try:
        report = trigger_batch.run_batch(
            runs, refs, DAY, max_concurrency=3, on_progress=lambda *p: progress.append(p)
        )
    finally:
        stop.set()

    assert orgs.most_running == 3  # three ran together (the gate), and never a fourth
    assert 1 <= sampled[0] <= 3  # what `senso status` would have shown: never a fourth
    assert len(orgs.finished) == 12
    assert [(i.ref, i.outcome, i.final_status) for i in report.items] == [
        (ref, "started", "SUCCEEDED") for ref in refs
    ]
    assert report.items[5].execution_arn == orgs.arn_for(execution_name(org_ids[refs[5]], DAY))
    assert len(report.dispatcher_executions) == 1 and report.max_concurrency == 3
    assert progress[-1] == ("running executions", 12, 12)
    record = orgs.store.get(report.dispatcher_executions[0])
    assert record["status"] == "SUCCEEDED" and record["input"]["max_concurrency"] == 3

    again = trigger_batch.run_batch(runs, refs, DAY, max_concurrency=3)
    assert again.counts()["already_succeeded"] == 12 and again.dispatcher_executions == []
    assert len(orgs.finished) == 12


def test_ctrl_c_stops_the_runs_and_the_same_batch_resumes_them(
    db: Database, tmp_path: Path
) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    refs = [f"org{n}" for n in range(6)]
    for ref in refs:
        seed(db, ref)
    orgs = CountingRuntime(db, settings, definition=CHILD, evaluation_s=0.5, gate=2)
    runs = LocalRuns(db, lambda: orgs)

    def ctrl_c_once_two_run(what: str, done: int, total: int) -> None:
        if what == "running executions" and orgs.running == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        trigger_batch.run_batch(runs, refs, DAY, max_concurrency=2, on_progress=ctrl_c_once_two_run)
    deadline = time.monotonic() + 20
    while orgs.running and time.monotonic() < deadline:
        time.sleep(0.05)  # the two in flight end; no third starts
    time.sleep(0.3)
    assert len(orgs.finished) == 2
    interrupted = [r for r in orgs.store.recent(limit=50) if r["error"] == "Senso.Interrupted"]
    # The two org executions and their dispatcher: ABORTED at once, not RUNNING forever.
    assert len(interrupted) == 3 and {r["status"] for r in interrupted} == {"ABORTED"}

    again = trigger_batch.run_batch(runs, refs, DAY, max_concurrency=2)
    assert [(i.outcome, i.final_status) for i in again.items] == [("started", "SUCCEEDED")] * 6
    attempts = sorted(str(i.execution_arn).rsplit("-", 1)[-1] for i in again.items)
    assert attempts == ["a1"] * 4 + ["a2"] * 2  # the two stopped ones go on as their next attempt


def test_shadow_trigger_batch_changes_nothing_the_product_owns(
    operator: Operator, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    cli_env = operator.db  # owned (dev seed) or external (the old system's tables, no constraint)
    # A billable provider, so the shadow ledger has charges to keep apart (simulated are free).
    counts, money = product_row_counts(cli_env), balances(cli_env)

    refused = runner.invoke(app, ["trigger-batch", "--all", "--shadow", "--concurrency", "0"])
    assert refused.exit_code == 2 and "max concurrency must be 1 to" in refused.output

    result = runner.invoke(app, ["trigger-batch", "--all", "--shadow", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["shadow"] is True
    assert [(i["outcome"], i["final_status"]) for i in data["items"]] == [("started", "SUCCEEDED")]
    assert data["items"][0]["execution_arn"].endswith("-a1-shadow")
    assert product_row_counts(cli_env) == counts
    assert balances(cli_env) == money
    with cli_env.connect() as conn:
        shadow = conn.execute("SELECT status FROM senso.shadow_question_run_batches").fetchall()
        charged = conn.execute("SELECT count(*) AS n FROM senso.shadow_credit_ledger").fetchone()
    assert [r["status"] for r in shadow] == ["completed"]
    assert charged is not None and charged["n"] > 0  # what it would have charged, kept apart
    assert charged["n"] == operator.cells
    # `senso status` lists the org's run, not the dispatcher's own execution (as on AWS, where
    # it lists the org machine's executions).
    listed = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    ours = [run["name"] for run in listed if run["side"] == "step_functions"]
    assert ours == [data["items"][0]["execution_arn"].rsplit(":", 1)[1]]


def test_a_shadow_dispatch_changes_nothing_the_product_owns(
    cli_env: Database, runner: CliRunner, billable_env: FakeOpenAIServer
) -> None:
    # demo is scheduled on Mondays; a billable provider, so a live run would have charged.
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    counts, money = product_row_counts(cli_env), balances(cli_env)
    org_runtime = LocalRuntime(cli_env, load_settings().settings)
    dispatcher = LocalDispatcher(org_runtime)
    services = DispatchServices(
        # Unused: with a dispatcher, Dispatch hands the orgs to it and starts none itself.
        executions=LocalExecutions(org_runtime, uuid.uuid4()),
        router=lambda org_id: "inngest",  # the rollout has every org on the old side
        dispatcher=dispatcher,
        max_concurrency=2,
    )

    result = run_step(
        "Dispatch", {"day": "2026-11-30", "shadow": True}, db=cli_env, services=services
    )
    assert result["counts"] == {"started": 1}
    (org,) = result["orgs"]
    run_dispatchers(dispatcher, [org["execution_arn"]])

    record = org_runtime.store.get(org["execution_arn"])
    assert record["status"] == "SUCCEEDED" and record["input"]["shadow"] is True
    assert record["name"].endswith("-20261130-a1-shadow")
    assert product_row_counts(cli_env) == counts
    assert balances(cli_env) == money
    with cli_env.connect() as conn:
        shadow = conn.execute("SELECT status FROM senso.shadow_question_run_batches").fetchall()
        charged = conn.execute("SELECT count(*) AS n FROM senso.shadow_credit_ledger").fetchone()
    assert [r["status"] for r in shadow] == ["completed"]
    assert charged is not None and charged["n"] > 0  # what it would have charged, kept apart
