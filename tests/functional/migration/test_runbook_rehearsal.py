"""The runbook's rehearsal, followed literally on a fresh home: every `senso` line of its code
blocks, from the fresh home to the rollback drill, runs as written and prints what the
runbook says it prints (shadow, compare PASS with the old system's known weaknesses excused,
10% through the gate, the gate refusing 50%, forced 50% and 100%, rollback twice)."""

from __future__ import annotations

import re
import shlex
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from tests.functional.migration.test_docs_quoted_outputs import missing_lines, quoted

RUNBOOK = Path(__file__).resolve().parents[3] / "docs" / "migration-runbook.md"
START = "## Rehearse the whole migration on one machine"
STOP = "**A FAIL to read.**"
PRACTISE = "**Failures to practise**"
_ASSIGN = re.compile(r"^([A-Z_][A-Z0-9_]*)=(\S+)\s+(.*)$")


def rehearsal_lines(start: str = START, stop: str = STOP) -> list[str]:
    text = RUNBOOK.read_text()
    section = text[text.index(start) : text.index(stop)]
    lines, fenced = [], False
    for line in section.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced and line.strip():
            lines.append(line.strip())
    return lines


def test_the_rehearsal_runs_as_written(
    cli_env: Database,
    senso_home: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # `--output rehearsal.html` lands here, not in the checkout
    outputs: list[tuple[str, str]] = []
    for line in rehearsal_lines():
        if line.startswith("export SENSO_HOME="):
            senso_home.mkdir(parents=True)  # what `mktemp -d` does; the fixture set the path
            continue
        if not line.startswith("senso "):
            subprocess.run(["bash", "-c", line], check=True, env={"SENSO_HOME": str(senso_home)})
            continue
        result = runner.invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs.append((line, result.output))
    said: dict[str, str] = {}
    for line, output in outputs:
        said.setdefault(line, output)  # the first time each line ran
    assert (
        "stage: 0% (all orgs on Inngest); no rollout recorded yet" in said["senso rollout status"]
    )
    compared = said["senso compare --since 1d"]
    assert "PASS: 1 paired batches, no metric mismatches (tolerance 1.00%)" in compared
    # The old code's rank 1 and citation false differ, yet count as no mismatch (domain.md 8).
    for metric in ("mean_rank", "citation_rate"):
        row = next(r for r in compared.splitlines() if r.startswith(f"{metric} "))
        assert row.split()[1:3] == ["1", "0"] and not row.rstrip().endswith("-"), row
    assert "would apply" in said["senso rollout --percent 10 --dry-run"]
    assert "would be REFUSED" in said["senso rollout --percent 50 --dry-run"]
    statuses = [output for line, output in outputs if line == "senso rollout status"]
    assert "100% (all orgs on Step Functions)" in statuses[1]
    history = statuses[1][statuses[1].index("history") :]
    raises = [row for row in history.splitlines() if "-> " in row]
    assert len(raises) == 3, history
    # 10% went through the gate; only 50% and 100%, which have no evidence of their own on
    # one machine in one afternoon, are forced.
    assert "(forced)" not in raises[0] and "0% -> 10%" in raises[0], history
    assert all("(forced)" in row for row in raises[1:]), history
    drill = [out for line, out in outputs if line.startswith("senso rollback")]
    assert "100% -> 0%" in drill[0] and "rolled back" in drill[0]
    assert "nothing to change: already rolled back" in drill[1]
    final = outputs[-1][1]
    assert "stage: 0% (all orgs on Inngest)" in final and "rehearsal drill" in final
    assert "generated " in (tmp_path / "rehearsal.html").read_text()


def test_a_fail_to_read_runs_as_written(
    cli_env: Database, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FAIL example derives its day (no date that goes stale) and ends in compare FAIL."""
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    variables: dict[str, str] = {}
    outputs: list[tuple[str, int, str]] = []
    for line in rehearsal_lines(STOP, PRACTISE):
        command = line.split("  #", 1)[0]
        name, _, value = command.partition("=$(")
        if value and not name.startswith("senso"):
            # `DAY=$(date ...)`: what the operator's shell computes.
            shell = subprocess.run(
                ["bash", "-c", f"echo {command[len(name) + 1 :]}"],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            variables[name] = shell.stdout.strip()
            continue
        for key, val in variables.items():
            command = command.replace(f'"${key}"', val)
        with monkeypatch.context() as scoped:
            while match := _ASSIGN.match(command):
                scoped.setenv(match[1], match[2])
                command = match[3]
            assert command.startswith("senso "), command
            result = runner.invoke(app, shlex.split(command)[1:])
        outputs.append((command, result.exit_code, result.output))
    assert variables["DAY"] == str(datetime.now(UTC).date() - timedelta(days=2))
    *triggers, (compare_line, compare_exit, compared) = outputs
    assert [exit_code for _, exit_code, _ in triggers] == [0, 0], triggers
    assert all(variables["DAY"] in line for line, _, _ in triggers)
    assert compare_line == "senso compare --since 7d"
    assert compare_exit == 1 and "FAIL: " in compared, compared
    assert "visibility" in compared.split("FAIL: ", 1)[1]
    # The FAIL that "Reading compare" quotes is this one, read over three days.
    (quote,) = quoted(RUNBOOK)["senso compare --since 3d"]
    result = runner.invoke(app, ["compare", "--since", "3d"])
    assert result.exit_code == 1 and missing_lines(quote, result.output) == [], result.output
