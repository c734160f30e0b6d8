"""senso's own PostgreSQL: started on demand, stopped, recovered after SIGKILL, one per folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from senso_cli.app import app
from senso_cli.embedded_pg import EmbeddedPostgres

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SENSO_HOME", str(home))
    monkeypatch.delenv("SENSO_DATABASE_URL", raising=False)
    yield home
    EmbeddedPostgres(home).stop()


def test_stop_status_and_restart_on_demand(home: Path, runner: CliRunner) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["db", "status", "--json"]).output)["server"]["running"]
    assert runner.invoke(app, ["db", "stop"]).output.strip() == "stopped"
    status = json.loads(runner.invoke(app, ["db", "status", "--json"]).output)
    assert status["server"]["running"] is False
    # The next command that needs the database starts it again, with the data kept.
    listed = runner.invoke(app, ["orgs", "list", "--json"])
    assert [o["slug"] for o in json.loads(listed.output)] == ["demo"]


def test_sigkill_of_the_server_is_recovered(home: Path, runner: CliRunner) -> None:
    runner.invoke(app, ["dev", "seed"])
    server = EmbeddedPostgres(home)
    pid = server.status().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 5
    while server.status().running and time.time() < deadline:
        time.sleep(0.05)
    listed = runner.invoke(app, ["orgs", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert [o["slug"] for o in json.loads(listed.output)] == ["demo"]
    assert server.status().pid not in (None, pid)


def test_stale_pid_file_is_recovered(home: Path) -> None:
    server = EmbeddedPostgres(home)
    server.ensure_running()
    server.stop()
    # A crash leaves postmaster.pid behind, naming a process that is no longer PostgreSQL.
    (server.data_dir / "postmaster.pid").write_text(f"{os.getpid()}\n{server.data_dir}\n")
    server.ensure_running()
    assert server.status().running


def test_concurrent_processes_start_one_server(home: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from senso_cli.embedded_pg import EmbeddedPostgres;"
        "e = EmbeddedPostgres(Path(sys.argv[1])); e.ensure_running(); print(e.status().pid)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(home)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    pids = {p.communicate(timeout=90)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(pids) == 1
