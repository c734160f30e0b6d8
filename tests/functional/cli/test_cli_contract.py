"""The CLI's output contract, over every command: with `--json`, stdout is exactly one JSON
document (live views, progress and notes go to stderr); every read command takes `--json`;
help pages show flags as flags and defaults that exist.

The command list comes from the real command tree, so a new command without `--json` (or
without an entry here saying why it has none) fails `test_every_command_is_covered`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app, command_tree
from tests.conftest import database_url

DEMO_ORGS = Path(__file__).parents[3] / "handlers" / "orgdata" / "demo.yaml"

# Commands with no --json, and why.
NO_JSON = {
    "db url": "prints the bare URL for $(senso db url); the one output that carries the password",
    "db start": "starts a server: a write that prints one status line",
    "db stop": "stops a server: a write that prints one status line",
    "db migrate": "applies migrations: a write that prints what it applied",
    "env use": "writes the config file's default environment",
}

PASS_DEFINITION = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}

# Every other command, run locally with --json; EXECUTION and FILE are filled in. Expected
# exit codes are listed so an invocation that breaks for another reason is noticed.
RUNS: dict[str, tuple[list[str], set[int]]] = {
    "dev seed": (["dev", "seed", "--json"], {0}),
    "trigger": (["trigger", "--org", "demo", "--wait", "--json"], {0}),
    "status": (["status", "--json"], {0}),
    "redrive": (["redrive", "--since", "1h", "--dry-run", "--json"], {0}),
    "logs": (["logs", "--since", "1h", "--json"], {0}),
    "run-definition": (["run-definition", "DEFINITION", "--json"], {0}),
    "config show": (["config", "show", "--json"], {0}),
    "db status": (["db", "status", "--json"], {0}),
    "db check": (["db", "check", "--json"], {0}),
    "orgs list": (["orgs", "list", "--json"], {0}),
    "orgs show": (["orgs", "show", "demo", "--json"], {0}),
    "orgs import": (["orgs", "import", "ORGFILE", "--json"], {0}),
    "credits grant": (["credits", "grant", "demo", "5", "--reason", "test", "--json"], {0}),
    "evaluate": (["evaluate", "--org", "Acme", "--text", "Acme is great.", "--json"], {0}),
    "reevaluate": (["reevaluate", "--org", "demo", "--dry-run", "--json"], {0}),
    "compare": (["compare", "--since", "1d", "--json"], {1}),  # nothing to compare: FAIL
    "cost-estimate": (["cost-estimate", "--json"], {0}),
    "rollout": (["rollout", "--percent", "0", "--dry-run", "--json"], {0}),
    "rollout status": (["rollout", "status", "--json"], {0}),
    "rollback": (["rollback", "--yes", "--json"], {0}),
    "trigger-batch": (["trigger-batch", "--all", "--json"], {0}),
    "validate": (["validate", "--skip", "terraform", "--skip", "docker", "--json"], {0}),
    "env list": (["env", "list", "--json"], {0}),
    "env show": (["env", "show", "--json"], {0}),  # the local environment
    "env import-terraform": (["env", "import-terraform", "--dir", "NOWHERE", "--json"], {2}),
    "deploy": (["deploy", "--env", "nowhere", "--plan", "--json"], {2}),
}


def _leaves(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
    children = getattr(command, "commands", None)
    if isinstance(children, dict) and children:
        if getattr(command, "invoke_without_command", False):
            yield " ".join(path), command
        for name, sub in sorted(children.items()):
            if not sub.hidden:
                yield from _leaves(sub, [*path, name])
    else:
        yield " ".join(path), command


LEAVES = dict(_leaves(command_tree(), []))


def _options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", ())}


def test_every_command_is_covered() -> None:
    assert set(LEAVES) == set(RUNS) | set(NO_JSON)
    assert not set(RUNS) & set(NO_JSON)
    assert [name for name in RUNS if "--json" not in _options(LEAVES[name])] == []


@pytest.fixture(scope="module")
def outputs(
    pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[int, str, str]]]:
    """Every RUNS invocation on one seeded database, in order: (exit code, stdout, stderr)."""
    name = f"c_{uuid.uuid4().hex[:16]}"
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    folder = tmp_path_factory.mktemp("contract")
    definition = folder / "pass.json"
    definition.write_text(json.dumps(PASS_DEFINITION))
    fill = {
        "DEFINITION": str(definition),
        "ORGFILE": str(DEMO_ORGS),
        "NOWHERE": str(folder / "nowhere"),
    }
    results: dict[str, tuple[int, str, str]] = {}
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SENSO_HOME", str(folder / "home"))
            mp.setenv("SENSO_DATABASE_URL", Database(database_url(pg_server_url, name)).url)
            mp.setenv("SENSO_EVALUATOR", "deterministic")
            runner = CliRunner()
            for label, (argv, _) in RUNS.items():
                result = runner.invoke(app, [fill.get(arg, arg) for arg in argv])
                assert result.exception is None or isinstance(result.exception, SystemExit), (
                    f"{label}: {result.exception!r}\n{result.output}"
                )
                results[label] = (result.exit_code, result.stdout, result.stderr)
        yield results
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("label", list(RUNS))
def test_json_stdout_is_one_document(outputs: dict[str, tuple[int, str, str]], label: str) -> None:
    code, stdout, stderr = outputs[label]
    assert code in RUNS[label][1], f"exit {code}\nstdout: {stdout}\nstderr: {stderr}"
    if code == 0:
        assert stdout.strip(), f"{label}: exit 0 with nothing on stdout"
    if stdout.strip():
        json.loads(stdout)  # raises on anything but exactly one document (extra data too)


def test_trigger_wait_json_sends_the_live_view_to_stderr(
    outputs: dict[str, tuple[int, str, str]],
) -> None:
    _, stdout, stderr = outputs["trigger"]
    assert json.loads(stdout)["status"] == "SUCCEEDED"
    assert "GetOrCreateBatch" in stderr  # the live timeline was drawn, on stderr


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_help_shows_flags_as_flags_and_real_defaults(name: str) -> None:
    result = CliRunner().invoke(app, [*name.split(), "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "(default: /" not in result.output  # a default whose placeholders were eaten
    if name not in NO_JSON and name not in ("run-definition", "evaluate", "deploy", "validate"):
        assert "--env" in result.output, f"`senso {name} --help` does not mention --env"


@pytest.mark.parametrize("argv", [["cost-estimate"], ["config", "show"], ["env", "list"]])
def test_tables_fold_at_60_columns_instead_of_cutting(argv: list[str], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "senso_cli", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="60", SENSO_HOME=str(tmp_path / "home")),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout, result.stdout  # Rich's mark for a cut cell
