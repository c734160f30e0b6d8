"""Crashes of the local runtime: SIGKILL mid-matrix then redrive; a stuck step's heartbeat."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from handlers.db.database import Database
from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file
from handlers.repositories.orgs import OrgRepository
from handlers.settings import load_settings
from senso_cli.local.definition import load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.trigger import start_local

pytestmark = pytest.mark.slow


def _home(tmp_path: Path, latency_ms: int, concurrency: int) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f"matrix_concurrency = {concurrency}\ntime_scale = 0\n"
        f"[providers.simulated]\nlatency_ms = {latency_ms}\nmax_batch = 1\n"
    )
    return home


def _completed(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM senso.cell_runs WHERE status = 'completed'"
        ).fetchone()
    return int(row["n"]) if row else 0


def test_sigkill_mid_matrix_then_redrive_completes_every_cell_once(
    db: Database, tmp_path: Path
) -> None:
    import_orgs(db, load_org_file(demo_org_path()))
    home = _home(tmp_path, latency_ms=40, concurrency=2)
    env = {**os.environ, "SENSO_HOME": str(home), "SENSO_DATABASE_URL": db.url}
    settings = load_settings(environ=env).settings
    runtime = LocalRuntime(db, settings)
    started = start_local(runtime, "demo")
    worker = subprocess.Popen(
        [sys.executable, "-m", "senso_cli.local.worker", started.started.execution_arn],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while _completed(db) < 15 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    done_before = _completed(db)
    assert 15 <= done_before < 120, "the kill must land in the middle of the matrix"
    assert runtime.store.get(started.started.execution_arn)["status"] == "RUNNING"

    result = runtime.redrive(started.started.execution_arn)

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    with db.connect() as conn:
        runs = conn.execute(
            "SELECT count(*) AS n, "
            "count(DISTINCT (geo_question_id, model_id, location_id)) AS cells FROM question_runs"
        ).fetchone()
        ledger = conn.execute(
            "SELECT count(*) AS n, -sum(amount) AS total FROM credit_ledger "
            "WHERE source_type = 'question_run'"
        ).fetchone()
        batch = conn.execute("SELECT status FROM question_run_batches").fetchone()
    assert runs == {"n": 120, "cells": 120}
    assert ledger is not None and ledger["n"] == 120 and Decimal(ledger["total"]) == Decimal("6")
    assert batch == {"status": "completed"}
    org = OrgRepository(db).get("demo")
    assert org.balance == Decimal("244")
    redriven = [
        e
        for e in runtime.store.history(started.started.execution_arn)
        if e["type"] == "ExecutionRedriven"
    ]
    assert len(redriven) == 1


def test_stuck_matrix_step_times_out_on_its_heartbeat(db: Database, tmp_path: Path) -> None:
    import_orgs(db, load_org_file(demo_org_path()))
    home = _home(tmp_path, latency_ms=20_000, concurrency=1)
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
    result = runtime.run(started.started.execution_arn)
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
