"""`senso --help`, the light commands' help and the light commands themselves import no heavy
package, and the root help's summaries are the commands' own first sentences.

Each check runs the CLI in a fresh interpreter (an import already made by the test process
would hide one), then reads which modules it loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from handlers.db.database import Database
from senso_cli.app import command_tree
from senso_cli.commands import COMMANDS

HEAVY = (
    "openai",
    "anthropic",
    "pandas",
    "numpy",
    "boto3",
    "botocore",
    "httpx",
    "psycopg",
    "rich.live",
    "rich.progress",
    "yaml",
    "senso_cli.sfn",
)
# What no help page needs: pydantic (Typer's parameter adapters, settings, models).
HELP_HEAVY = (*HEAVY, "pydantic")
# Typer's help renderer and what it loads (Markdown, pygments, tracebacks, attrs): the root
# page is drawn without it (senso_cli.roothelp).
ROOT_HEAVY = (
    *HELP_HEAVY,
    "typer.rich_utils",
    "rich.markdown",
    "rich.traceback",
    "markdown_it",
    "pygments",
    "attr",
)

PROBE = """
import json, sys
sys.argv = ["senso", *json.loads(sys.argv[1])]
try:
    from senso_cli.app import main
    main()
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def _modules_after(args: list[str], **env: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "COLUMNS": "100",
            "PATH": "/usr/bin:/bin",
            "SENSO_HOME": "/nonexistent/senso",
            **env,
        },
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy))


def test_root_help_imports_neither_typers_help_renderer_nor_pydantic() -> None:
    modules = _modules_after(["--help"])
    assert "senso_cli.roothelp" in modules  # the probe really drew the root page
    assert _heavy(modules, ROOT_HEAVY) == []


@pytest.mark.parametrize(
    "args", [["status", "--help"], ["orgs", "list", "--help"], ["trigger", "--help"]]
)
def test_help_imports_no_heavy_module(args: list[str]) -> None:
    modules = _modules_after(args)
    assert "senso_cli.app" in modules  # the probe really ran the CLI
    assert _heavy(modules, HELP_HEAVY) == []


@pytest.mark.parametrize("args", [["status"], ["orgs", "list"]])
def test_light_commands_import_only_what_reading_needs(args: list[str], cli_env: Database) -> None:
    # A real database (the command must get as far as its query and its table), so anything
    # the read path pulls in is seen; psycopg is the one heavy module it needs. Settings and
    # the records it reads are dataclasses: no pydantic either.
    modules = _modules_after(args, SENSO_DATABASE_URL=cli_env.url)
    assert "senso_cli.commands." + args[0] in modules
    assert _heavy(modules, tuple(h for h in HELP_HEAVY if h != "psycopg")) == []


def test_the_guard_recognises_heavy_modules() -> None:
    # The checks above prove nothing if `_heavy` could not see a heavy module when one is there.
    assert _heavy({"pandas.core.frame", "rich.live", "rich.table", "openai_like"}) == [
        "pandas.core.frame",
        "rich.live",
    ]
    assert _heavy({"pydantic.main", "typer.rich_utils"}, ROOT_HEAVY) == [
        "pydantic.main",
        "typer.rich_utils",
    ]


def test_root_help_imports_no_command_module() -> None:
    modules = _modules_after(["--help"])
    assert not [m for m in modules if m.startswith("senso_cli.commands.")]


def _first_sentence(text: str) -> str:
    paragraph = " ".join(text.strip().split("\n\n", 1)[0].split())
    end = paragraph.find(". ")
    return paragraph if end < 0 else paragraph[: end + 1]


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_root_help_summary_is_the_commands_first_sentence(entry: object) -> None:
    root = command_tree()
    name = entry.name  # type: ignore[attr-defined]
    command = root.commands[name]
    assert _first_sentence(command.help or "") == entry.summary  # type: ignore[attr-defined]


SDKS = ("openai", "anthropic", "httpx", "httpx2")
STEP_PROBE = """
import json, sys
from handlers.runtime import build_services
from handlers.settings import WorkflowSettings
from handlers.steps.base import get_step
get_step("RunQuestionMatrixWithEvaluation")
services = build_services(WorkflowSettings())
services.registry.resolve("gpt-4.1")  # the default route: the simulator
print(json.dumps(sorted(sys.modules)))
"""


def test_steps_with_simulated_providers_load_no_provider_sdk() -> None:
    # Each provider's SDK loads when a route first resolves to that provider: the step
    # registry and a registry of simulated routes load none (the container starts faster, and
    # a local matrix run pays for no SDK it does not call).
    result = subprocess.run(
        [sys.executable, "-c", STEP_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
        check=True,
    )
    modules = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "handlers.steps.run_question_matrix" in modules or "handlers.steps" in modules
    assert _heavy(modules, SDKS) == []
