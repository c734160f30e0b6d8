"""The operator documentation cannot drift from the CLI.

Like sqlite-utils' `test_docs.py`, these tests walk the real command tree (`senso_cli.app`):

* every command and sub-command has help text, and a heading in docs/operator-guide.md that
  contains the command as typed (for example "### `senso db status`");
* every heading that names a command names one that exists;
* every `senso ...` line inside a fenced code block of the operator guide, the migration runbook
  and the troubleshooting page starts with a real command path and uses only options that
  command (or the root command) accepts. Lines marked "(coming)" describe planned behaviour and
  are skipped.

Adding a command without documenting it, or renaming one the runbook still quotes, fails here.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from senso_cli.app import command_tree

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDE = DOCS / "operator-guide.md"
RUNBOOK = DOCS / "migration-runbook.md"
TROUBLESHOOTING = DOCS / "troubleshooting.md"
COMING = "(coming)"
# Everything after one of these tokens is not part of the senso command line.
_SHELL_BREAKS = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "<"}
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*$")
_CODE_SPAN = re.compile(r"`(senso(?: [a-z][a-z0-9-]*)*)`")


# Typer vendors its own click (`typer._click`), whose classes are not the `click` package's, so
# the tree is walked by duck typing: a group has a `commands` mapping, an option has
# `param_type_name == "option"`.
Command = Any


@dataclass(frozen=True)
class Entry:
    path: str  # "senso db status"
    command: Command


def _is_group(command: Command) -> bool:
    return isinstance(getattr(command, "commands", None), dict)


def _runs_alone(command: Command) -> bool:
    """A group that does something without a sub-command (`senso rollout --percent 10`)."""
    return bool(getattr(command, "invoke_without_command", False))


def _walk(command: Command, path: str) -> list[Entry]:
    entries = [Entry(path, command)]
    if _is_group(command):
        for name, sub in sorted(command.commands.items()):
            if not sub.hidden:
                entries.extend(_walk(sub, f"{path} {name}"))
    return entries


ROOT_COMMAND: Command = command_tree()
ENTRIES = _walk(ROOT_COMMAND, "senso")
COMMANDS = [entry for entry in ENTRIES if entry.path != "senso"]
PATHS = {entry.path: entry for entry in ENTRIES}


def _headings(path: Path) -> list[str]:
    """Markdown headings outside fenced code blocks."""
    headings: list[str] = []
    fenced = False
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        match = _HEADING.match(line)
        if match and not fenced:
            headings.append(match["text"])
    return headings


def _code_blocks(path: Path) -> list[list[tuple[int, str]]]:
    """Fenced code blocks as (line number, logical line); backslash continuations joined."""
    blocks: list[list[tuple[int, str]]] = []
    block: list[tuple[int, str]] | None = None
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if raw.lstrip().startswith("```"):
            if block is None:
                block = []
            else:
                blocks.append(block)
                block = None
            pending = ""
            continue
        if block is None:
            continue
        if not pending:
            start = number
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        block.append((start, pending + raw))
        pending = ""
    return blocks


def _senso_invocations(path: Path) -> list[tuple[int, str]]:
    """Code lines that run senso.

    In a block with `$ ` prompts only the prompt lines are commands (the rest is output, which
    may itself start with "senso"); in a block without prompts every line is a command line.
    Leading `VAR=value` assignments are skipped.
    """
    found: list[tuple[int, str]] = []
    for block in _code_blocks(path):
        prompted = any(line.lstrip().startswith("$ ") for _, line in block)
        for number, line in block:
            text = line.strip()
            if prompted:
                if not text.startswith("$ "):
                    continue
                text = text[2:].lstrip()
            while re.match(r"^[A-Z_][A-Z0-9_]*=\S*\s", text):
                text = text.split(None, 1)[1]
            for prefix in (".venv/bin/senso ", "./.venv/bin/senso "):
                if text.startswith(prefix):
                    text = "senso " + text[len(prefix) :]
            if text.startswith("senso ") or text == "senso":
                found.append((number, text))
    return found


def _option_params(command: Command) -> list[Any]:
    return [p for p in command.params if getattr(p, "param_type_name", None) == "option"]


def _options(command: Command) -> set[str]:
    names = {"--help"}
    for param in _option_params(command):
        names.update(param.opts)
        names.update(param.secondary_opts)
    return names


def _takes_value(command: Command, option: str) -> bool:
    for param in _option_params(command):
        if option in param.opts:
            return not param.is_flag and not getattr(param, "count", False)
    return False


def check_invocation(line: str) -> str | None:
    """None when `line` is a valid senso command line, else what is wrong with it."""
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:
        return f"cannot parse: {exc}"
    for index, token in enumerate(tokens):
        if token in _SHELL_BREAKS:
            tokens = tokens[:index]
            break
    assert tokens[0] == "senso"
    command: Command = ROOT_COMMAND
    path = "senso"
    rest = tokens[1:]
    index = 0
    while index < len(rest):
        token = rest[index]
        if token.startswith("-"):
            option = token.split("=", 1)[0]
            if option not in _options(command):
                return f"{path} has no option {option}"
            if "=" not in token and _takes_value(command, option):
                index += 1  # skip the option's value
            index += 1
            continue
        if _is_group(command):
            sub = command.commands.get(token)
            if sub is None:
                if command is ROOT_COMMAND or not _runs_alone(command):
                    return f"{path} has no command {token!r}"
                return f"{path} takes no argument {token!r}"
            command = sub
            path = f"{path} {token}"
            index += 1
            continue
        index += 1  # a positional argument of a leaf command
    if command is ROOT_COMMAND:
        return "names no command"
    if _is_group(command) and not _runs_alone(command):
        return f"{path} is a group; name one of its commands"
    return None


# -- every command is documented --------------------------------------------------------------


def test_the_command_tree_is_not_empty() -> None:
    # Guards the walk itself: if it found nothing, every other test would pass vacuously.
    assert len(COMMANDS) >= 30
    assert "senso db status" in PATHS
    assert "senso rollout status" in PATHS


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.path)
def test_every_command_has_help_text(entry: Entry) -> None:
    text = (entry.command.help or entry.command.short_help or "").strip()
    assert text, f"`{entry.path}` has no help text: give the command a docstring"


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.path)
def test_every_command_has_a_heading_in_the_operator_guide(entry: Entry) -> None:
    wanted = f"`{entry.path}`"
    headings = _headings(GUIDE)
    assert any(wanted in heading for heading in headings), (
        f"docs/operator-guide.md has no heading containing {wanted}; add a section such as "
        f"'### {wanted}' describing what it is for, its options, an example and exit codes"
    )


def test_every_command_heading_in_the_operator_guide_names_a_real_command() -> None:
    stale = []
    for heading in _headings(GUIDE):
        for path in _CODE_SPAN.findall(heading):
            if path != "senso" and path not in PATHS:
                stale.append(f"{path!r} in heading {heading!r}")
    assert not stale, "headings name commands that do not exist: " + "; ".join(stale)


# -- quoted command lines start with a real command path --------------------------------------


def _documented_lines() -> list[tuple[str, int, str]]:
    lines = []
    for path in (GUIDE, RUNBOOK, TROUBLESHOOTING):
        if not path.exists():
            continue
        for number, line in _senso_invocations(path):
            if COMING in line:
                continue
            lines.append((path.name, number, line))
    return lines


def test_the_runbook_quotes_commands() -> None:
    quoted = [line for name, _, line in _documented_lines() if name == RUNBOOK.name]
    assert len(quoted) >= 15, "the runbook should spell out its steps as senso commands"


@pytest.mark.parametrize(
    ("name", "number", "line"),
    _documented_lines(),
    ids=lambda value: str(value)[:60],
)
def test_quoted_command_lines_match_the_cli(name: str, number: int, line: str) -> None:
    problem = check_invocation(line)
    assert problem is None, f"docs/{name}:{number}: `{line}`: {problem}"


# -- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "senso db status",
        "senso --env prod rollback --abort-running --yes",
        "senso rollout --percent 10 --dry-run",
        "senso rollout status --json",
        "senso trigger --org demo --json | jq .status",
        'senso credits grant demo 100 --reason "top-up"',
        "senso compare --since 7d --format html --output report.html  # for the review",
    ],
)
def test_checker_accepts_real_command_lines(line: str) -> None:
    assert check_invocation(line) is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("senso deploy-all", "no command 'deploy-all'"),
        ("senso db", "is a group"),
        ("senso db status --verbose", "no option --verbose"),
        ("senso rollback --percent 5 --yes", "no option --percent"),
        ("senso rollout sideways", "takes no argument"),
        ("senso --env prod", "names no command"),
    ],
)
def test_checker_rejects_drifted_command_lines(line: str, problem: str) -> None:
    found = check_invocation(line)
    assert found is not None and problem in found, found
