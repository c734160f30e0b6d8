"""Ctrl-C on `trigger --wait` leaves no orphan: the in-process run is stopped (ABORTED) with
how to resume it; the next trigger names the interrupted attempt instead of silently starting
another."""

from __future__ import annotations

import json
import os
import shlex
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from senso_cli.runs.local import LocalRuns


def test_ctrl_c_stops_the_run_and_says_how_to_resume(
    cli_env: Database, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    real_follow = LocalRuns.follow

    def interrupted(self: LocalRuns, *args: Any, **kwargs: Any) -> Iterator[Any]:
        follow = real_follow(self, *args, **kwargs)
        yield next(follow)
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalRuns, "follow", interrupted)
    result = runner.invoke(app, ["trigger", "--org", "demo", "--wait"])
    assert result.exit_code == 130, result.output
    assert "interrupted:" in result.output and "stopped (ABORTED)" in result.output
    name = json.loads(runner.invoke(app, ["status", "--json"]).output)[0]["name"]
    assert f"senso redrive {name}" in result.output
    listed = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert [(r["name"], r["status"]) for r in listed] == [(name, "ABORTED")]

    monkeypatch.setattr(LocalRuns, "follow", real_follow)
    again = runner.invoke(app, ["trigger", "--org", "demo", "--wait"])
    assert again.exit_code == 0, again.output
    assert f"attempt 1 ({name}) ended ABORTED" in again.output
    assert f"senso redrive {name}" in again.output


def test_ctrl_c_while_following_a_worker_detaches_and_names_the_worker(
    cli_env: Database, senso_home: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`trigger --wait` on an org whose run a `--no-wait` worker already runs follows that run;
    Ctrl-C leaves the worker running and names its pid, how to stop it and how to resume."""
    senso_home.mkdir(parents=True)
    # Slow answers keep the worker busy for the whole test.
    (senso_home / "config.toml").write_text("[providers.simulated]\nlatency_ms = 2000\n")
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    started = runner.invoke(app, ["trigger", "--org", "demo", "--no-wait", "--json"])
    assert started.exit_code == 0, started.output
    first = json.loads(started.stdout)
    pid, name = first["worker_pid"], first["name"]
    try:
        real_follow = LocalRuns.follow

        def interrupted(self: LocalRuns, *args: Any, **kwargs: Any) -> Iterator[Any]:
            follow = real_follow(self, *args, **kwargs)
            yield next(follow)
            raise KeyboardInterrupt

        monkeypatch.setattr(LocalRuns, "follow", interrupted)
        result = runner.invoke(app, ["trigger", "--org", "demo", "--wait"])

        assert result.exit_code == 130, result.output
        said = " ".join(result.output.split())  # rich folds long lines
        assert f"detached: {name} keeps running (worker pid {pid})" in said, said
        assert "on Step Functions" not in said
        assert f"`kill {pid}` stops it, then `senso redrive {name}` resumes it" in said
        os.kill(pid, 0)  # the worker was left running, as said
        listed = json.loads(runner.invoke(app, ["status", "--json"]).output)
        assert [(r["name"], r["status"]) for r in listed] == [(name, "RUNNING")]
    finally:
        os.kill(pid, signal.SIGKILL)


def test_ctrl_c_on_the_inngest_stand_in_says_how_to_resume_its_batch(
    cli_env: Database, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in runs in the `senso` process: Ctrl-C mid-matrix stops it (exit 130) and says
    how to resume; the next run of that side resumes the batch without asking a cell twice."""
    from senso_cli.services import legacy_standin

    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    real_prompt, asked = legacy_standin.CellPrompt, []

    def interrupting(*args: Any, **kwargs: Any) -> Any:
        asked.append(1)
        if len(asked) == 10:
            raise KeyboardInterrupt
        return real_prompt(*args, **kwargs)

    monkeypatch.setattr(legacy_standin, "CellPrompt", interrupting)
    day = "2026-11-20"
    result = runner.invoke(app, ["trigger", "--org", "demo", "--target", "inngest", "--day", day])

    assert result.exit_code == 130, result.output
    said = " ".join(result.output.split())
    assert f"interrupted: the Inngest side for demo on {day} stopped before it finished" in said
    resume = f"`senso trigger --org demo --day {day} --target inngest` resumes its batch"
    assert resume in said, said
    monkeypatch.setattr(legacy_standin, "CellPrompt", real_prompt)
    again = runner.invoke(app, shlex.split(resume.strip("`").split("`")[0])[1:])
    assert again.exit_code == 0, again.output
    with cli_env.connect() as conn:
        rows = conn.execute(
            "SELECT b.status, count(r.*) AS runs, count(DISTINCT (r.geo_question_id, r.model_id,"
            " r.location_id)) AS cells FROM question_run_batches b "
            "JOIN question_runs r USING (batch_id) GROUP BY b.batch_id, b.status"
        ).fetchall()
    assert [(r["status"], r["runs"], r["cells"]) for r in rows] == [("completed", 120, 120)]
