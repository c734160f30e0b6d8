"""Ctrl-C on `trigger --wait` leaves no orphan: the in-process run is stopped (ABORTED) with
how to resume it; the next trigger names the interrupted attempt instead of silently starting
another."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
