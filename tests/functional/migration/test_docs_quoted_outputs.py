"""The outputs the operator guide and the runbook quote are what senso prints.

tests/unit/test_docs.py checks the quoted command lines (commands and options); this module runs
the key quoted examples on a fresh home, in the order a reader meets them, and compares each
quoted output line with what the command printed. Values that differ from run to run (ids,
dates, times, numbers, the user) are compared by shape; `...` in a quote stands for lines (or,
at the end of a line, the rest of the line) left out. JSON examples are compared by their keys.
"""

from __future__ import annotations

import getpass
import json
import re
import shlex
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli import output
from senso_cli.app import app
from tests.unit.test_docs import GUIDE, RUNBOOK, _code_blocks

_BOX = re.compile(r"[┏┓┗┛┳┻╋┡┩╇━┃│└┘┴┬┼├┤─┌┐]")
_SHAPES = [
    (re.compile(r"arn:aws:states:[^\s`\"]+"), "<arn>"),
    (re.compile(r"org-[0-9a-f-]{36}-\d{8}-a\d+"), "<execution>"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?( UTC)?"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<day>"),
    (re.compile(r"\d+(\.\d+)?"), "#"),
]


def shape(line: str, user: str = "root") -> str:
    """A line with its run-specific values replaced and table borders and padding removed."""
    text = _BOX.sub(" ", line)
    text = re.sub(rf"(?<![\w-]){re.escape(user)}(?![\w-])", "<user>", text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def quoted(path: Path) -> dict[str, list[list[str]]]:
    """`$ command` -> the output lines quoted under it, for each time the docs quote it."""
    found: dict[str, list[list[str]]] = {}
    for block in _code_blocks(path):
        if not any(line.startswith("$ ") for _, line in block):
            continue
        current: list[str] | None = None
        for _, line in block:
            if line.startswith("$ "):
                current = []
                found.setdefault(line[2:].split("  #", 1)[0].strip(), []).append(current)
            elif current is not None:
                current.append(line)
    return found


def missing_lines(quote: list[str], output: str) -> list[str]:
    """The quoted lines (by shape) that the output does not have."""
    printed = [shape(line, getpass.getuser()) for line in output.splitlines()]
    missing = []
    for line in quote:
        wanted = shape(line)
        if not wanted or wanted in ("...", "…"):
            continue
        if wanted.endswith("..."):  # the rest of the line left out
            prefix = wanted[:-3].rstrip()
            if not any(have.startswith(prefix) for have in printed):
                missing.append(line)
        elif wanted not in printed:
            missing.append(line)
    return missing


def keys(value: Any, prefix: str = "") -> set[str]:
    """A JSON document's structure: the dotted paths of its keys."""
    if not isinstance(value, dict):
        return set()
    found = set()
    for key, item in value.items():
        found.add(prefix + key)
        found |= keys(item, f"{prefix}{key}.")
    return found


GUIDE_QUOTES = quoted(GUIDE)
RUNBOOK_QUOTES = quoted(RUNBOOK)


class Reader:
    """Runs quoted commands and checks their quoted outputs."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner
        self.problems: list[str] = []

    def run(
        self,
        command: str,
        quotes: dict[str, list[list[str]]],
        *,
        exit_code: int = 0,
        instead: str | None = None,
    ) -> str:
        """Run the quoted `command` (or `instead`, when the quote names this run's ids) and
        check its output against every quote of it."""
        assert command in quotes, f"the docs no longer quote `{command}`"
        result = self.runner.invoke(app, shlex.split(instead or command)[1:])
        assert result.exit_code == exit_code, (command, result.output)
        for quote in quotes[command]:
            if quote and quote[0].lstrip().startswith("{"):
                continue  # JSON: compared by keys (see the test)
            for line in missing_lines(quote, result.output):
                self.problems.append(f"`{command}` quotes {line!r}; it printed:\n{result.output}")
        return result.output


def test_the_quoted_outputs_are_what_senso_prints(
    cli_env: Database,
    senso_home: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    # Wide enough that no table folds a cell (the docs quote unfolded tables), whatever the
    # terminal (or none) the tests run in; restored after the test.
    monkeypatch.setattr(output.out, "_width", 200)
    monkeypatch.setattr(output.out, "_height", 50)
    senso_home.mkdir(parents=True)
    # The guide's rollout examples were made with the rehearsal's gate settings.
    (senso_home / "config.toml").write_text("[rollout]\ngate_min_pairs = 1\ngate_min_days = 1\n")
    assert runner.invoke(app, ["dev", "seed"]).exit_code == 0
    reader = Reader(runner)

    # The gate before any pair: NO DATA (the stage at 0%, as on a fresh stack).
    monkeypatch.setenv("SENSO_ROLLOUT_LOCAL_PERCENT", "0")
    reader.run("senso rollout --percent 10", GUIDE_QUOTES, exit_code=1)
    monkeypatch.delenv("SENSO_ROLLOUT_LOCAL_PERCENT")

    # trigger: the JSON document's keys, then the Inngest side's lines.
    printed = reader.run("senso trigger --org demo --json", GUIDE_QUOTES)
    (documented,) = GUIDE_QUOTES["senso trigger --org demo --json"]
    have, quoted_keys = keys(json.loads(printed)), keys(json.loads("\n".join(documented)))
    if have != quoted_keys:
        reader.problems.append(
            f"`senso trigger --org demo --json` quotes keys {sorted(quoted_keys - have)} it does "
            f"not print and leaves out {sorted(have - quoted_keys)}"
        )
    reader.run("senso trigger --org demo --target inngest", GUIDE_QUOTES)
    first = json.loads(printed)["execution_arn"].rsplit(":", 1)[-1]
    reader.run(
        "senso status org-3e4b107e-25ac-5c54-a5a1-c16e055e9d2c-20261129-a1",
        GUIDE_QUOTES,
        instead=f"senso status {first}",
    )
    # A second attempt in a worker; it finds the batch complete and ends at once.
    reader.run("senso trigger --org demo --no-wait", GUIDE_QUOTES)
    for _ in range(600):
        runs = json.loads(runner.invoke(app, ["status", "--json"]).output)
        if all(run["status"] != "RUNNING" for run in runs):
            break
        time.sleep(0.1)

    # compare: the report's lines and the verdict.
    reader.run("senso compare --since 1d", GUIDE_QUOTES)
    reader.run("senso compare --since 1d --format html --output compare.html", GUIDE_QUOTES)

    # rollout through the gate from 0%, its status, a refused raise, and the rollback.
    monkeypatch.setenv("SENSO_ROLLOUT_LOCAL_PERCENT", "0")
    reader.run("senso rollout --percent 10 --dry-run", GUIDE_QUOTES)
    reader.run('senso rollout --percent 10 --reason "week 2"', GUIDE_QUOTES)
    reader.run("senso rollout status", GUIDE_QUOTES)
    reader.run("senso rollout --percent 50", RUNBOOK_QUOTES, exit_code=1)
    reader.run('senso rollback --yes --reason "drill"', GUIDE_QUOTES)
    reader.run("senso rollback --yes", GUIDE_QUOTES)

    # Basics, JSON output: `--shadow --json` prints one document, the Inngest side inside it.
    assert "`senso trigger --shadow --json` prints one document" in GUIDE.read_text()
    shadowed = runner.invoke(app, ["trigger", "--org", "demo", "--shadow", "--json"])
    assert shadowed.exit_code == 0, shadowed.output
    document = json.loads(shadowed.stdout)  # one document, or this raises
    assert document["shadow"]["inngest"]["target"] == "inngest"

    assert not reader.problems, "\n\n".join(reader.problems)


def test_the_shape_comparison_catches_drift() -> None:
    """Guards the checker: a changed word or a missing line is caught, values are not."""
    output = "stage: 10% of orgs on Step Functions (PostgreSQL (local))\nhistory"
    assert (
        missing_lines(["stage: 50% of orgs on Step Functions (PostgreSQL (local))"], output) == []
    )
    assert missing_lines(["stage: 10% of all orgs on Step Functions"], output) != []
    assert missing_lines(["history", "...", "batches since 2026-11-22"], output) == [
        "batches since 2026-11-22"
    ]
    assert missing_lines(["stage: 10% of orgs ..."], output) == []
    assert shape("│ 2026-11-29 19:06 │ root │ 0% -> 10% │") == "<time> <user> #% -> #%"
