"""Crashes of the local runtime: SIGKILL mid-matrix then redrive; a stuck step's heartbeat."""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file
from senso_cli.app import app
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.trigger import start_local
from senso_cli.settings import load_settings
from tests.billable import billable_environ
from tests.fakes.openai_server import FakeOpenAIServer
from tests.modes import Operator

pytestmark = pytest.mark.slow


def _config(latency_ms: int, concurrency: int) -> str:
    return (
        f"matrix_concurrency = {concurrency}\ntime_scale = 0\n"
        f"[providers.simulated]\nlatency_ms = {latency_ms}\nmax_batch = 1\n"
    )


def _home(tmp_path: Path, latency_ms: int, concurrency: int) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(_config(latency_ms, concurrency))
    return home


def _completed(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM senso.cell_runs WHERE status = 'completed'"
        ).fetchone()
    return int(row["n"]) if row else 0


def test_sigkill_mid_matrix_then_redrive_completes_every_cell_once(
    operator: Operator,
    senso_home: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As an operator meets it: the `--no-wait` worker dies mid-matrix, `senso redrive` ends it."""
    cells = operator.cells
    senso_home.mkdir(parents=True, exist_ok=True)
    (senso_home / "config.toml").write_text("matrix_concurrency = 2\ntime_scale = 0\n")
    # A billable provider (simulated answers are free), about 2.4 s of matrix whatever the
    # org's size, so the kill lands in its middle; the worker inherits the environment.
    with FakeOpenAIServer(latency=lambda _: 4.8 / cells) as server:
        for variable, value in billable_environ(server).items():
            monkeypatch.setenv(variable, value)
        _kill_then_redrive(operator, runner)


def _kill_then_redrive(operator: Operator, runner: CliRunner) -> None:
    db, cells = operator.db, operator.cells
    started = runner.invoke(app, ["trigger", "--org", operator.org, "--no-wait", "--json"])
    assert started.exit_code == 0, started.output
    name, worker = json.loads(started.stdout)["name"], json.loads(started.stdout)["worker_pid"]
    deadline = time.time() + 60
    while _completed(db) < cells // 8 and time.time() < deadline:
        time.sleep(0.02)
    os.kill(worker, signal.SIGKILL)
    os.waitpid(worker, 0)  # reaped: a zombie would still look alive
    done_before = _completed(db)
    assert cells // 8 <= done_before < cells, "the kill must land in the middle of the matrix"
    status = json.loads(runner.invoke(app, ["status", name, "--json"]).stdout)
    assert status["status"] == "RUNNING"

    redriven = runner.invoke(app, ["redrive", name])
    assert redriven.exit_code == 0, redriven.output

    final = json.loads(runner.invoke(app, ["status", name, "--json"]).stdout)
    assert (final["status"], final["redrive_count"]) == ("SUCCEEDED", 1)
    with db.connect() as conn:
        runs = conn.execute(
            "SELECT count(*) AS n, "
            "count(DISTINCT (geo_question_id, model_id, location_id)) AS cells FROM question_runs"
        ).fetchone()
    assert runs == {"n": cells, "cells": cells}
    assert operator.batches() == [("completed", True)]
    assert operator.ledger_charges() == (cells, operator.credits_per_run)
    assert operator.balance() == operator.credits - operator.credits_per_run


def _freeze_matrix_processes(stop: threading.Event) -> None:
    """SIGSTOP every matrix step process this test process starts: a frozen container.

    A slow provider no longer stands in for a stuck step (the heartbeat runs in a background
    thread however long a call takes); a process that stops running at all sends no beat.
    """
    frozen: set[int] = set()
    while not stop.wait(0.05):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in frozen:
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == os.getpid() and b"RunQuestionMatrixWithEvaluation" in argv:
                frozen.add(int(entry.name))
                os.kill(int(entry.name), signal.SIGSTOP)


def test_stuck_matrix_step_times_out_on_its_heartbeat(db: Database, tmp_path: Path) -> None:
    import_orgs(db, load_org_file(demo_org_path()))
    home = _home(tmp_path, latency_ms=50, concurrency=1)
    settings = load_settings(
        environ={"SENSO_HOME": str(home), "SENSO_DATABASE_URL": db.url}
    ).settings
    definition = copy.deepcopy(load_definition())
    matrix = definition["States"]["RunQuestionMatrixWithEvaluation"]
    matrix["HeartbeatSeconds"] = 1
    for retrier in matrix["Retry"]:
        retrier["MaxAttempts"] = min(retrier["MaxAttempts"], 1)
    runtime = LocalRuntime(db, settings, definition=definition, isolation="process", time_scale=0)
    started = start_local(runtime, "demo")
    stop = threading.Event()
    freezer = threading.Thread(target=_freeze_matrix_processes, args=(stop,), daemon=True)
    freezer.start()
    try:
        result = runtime.run(started.started.execution_arn)
    finally:
        stop.set()
        freezer.join()
    assert result.status == "FAILED"
    assert result.error == "States.HeartbeatTimeout"
    history = runtime.store.history(started.started.execution_arn)
    assert [e["type"] for e in history].count("TaskTimedOut") == 2  # first try and one retry
    with db.connect() as conn:
        batch = conn.execute(
            "SELECT b.status, s.error_name FROM question_run_batches b "
            "JOIN senso.batches s USING (batch_id)"
        ).fetchone()
    assert batch == {"status": "failed", "error_name": "States.HeartbeatTimeout"}
