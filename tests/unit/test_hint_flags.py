"""Hints name only flags that exist: every `--flag` written in an error hint (a `hint=`
argument or a `*_HINT` constant) in senso_cli or handlers is an option of some senso command.

An operator follows a hint literally; a hint naming a flag no command has (`--endpoint-url`,
`--profile`) sends them to a dead end.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from senso_cli.app import command_tree

ROOT = Path(__file__).resolve().parents[2]
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


def _options(command: Any, found: set[str]) -> set[str]:
    for param in command.params:
        found.update(getattr(param, "opts", []))
        found.update(getattr(param, "secondary_opts", []))
    for sub in getattr(command, "commands", {}).values():
        _options(sub, found)
    return found


def _hint_strings(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        value: ast.AST | None = None
        if (isinstance(node, ast.keyword) and node.arg == "hint") or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id.endswith("HINT") for t in node.targets)
        ):
            value = node.value
        if value is None:
            continue
        for part in ast.walk(value):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                yield part.value


def test_every_flag_named_in_a_hint_exists() -> None:
    known = _options(command_tree(), {"--help"})
    unknown = []
    for folder in ("senso_cli", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for text in _hint_strings(ast.parse(path.read_text())):
                unknown += [
                    f"{path.relative_to(ROOT)}: {flag}"
                    for flag in _FLAG.findall(text)
                    if flag not in known
                ]
    assert unknown == []


def test_the_scan_sees_hints() -> None:
    tree = ast.parse('raise E("x", hint="pass --endpoint-url")\nREGION_HINT = "or --nope"')
    found = sorted(flag for text in _hint_strings(tree) for flag in _FLAG.findall(text))
    assert found == ["--endpoint-url", "--nope"]
