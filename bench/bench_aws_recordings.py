"""Conformance against executions recorded on real AWS Step Functions (LocalStack's snapshots).

    python bench/bench_aws_recordings.py /path/to/localstack [--show-mismatches N]

LocalStack records, for its own tests, the execution histories that real Step Functions
produced (``tests/aws/services/stepfunctions/v2/**/*.snapshot.json``) next to the state machine
templates it ran (``tests/aws/services/stepfunctions/templates/**/*.json5``). This script pairs
each recorded execution of a *pure* machine (no Task state: Pass, Choice, Wait, Map, Parallel,
Fail, Succeed) with its template, runs it on senso's interpreter with the recorded input, and
counts how often status, output, error and cause match, split by query language.

It is a measurement, not a test: pairing is heuristic (a test may patch a template in code),
recordings anonymise ARNs and dates (such executions count as mismatches both before and
after a change), and the LocalStack checkout is not part of this repository. Only the
figures printed before and after a change are meaningful, side by side.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from senso_cli.sfn import Interpreter
from senso_cli.sfn.errors import SfnError

ARN = "arn:aws:states:us-east-1:111111111111"
_CONSTANT = re.compile(
    r"(\w+)\s*(?::\s*Final\[str\])?\s*=\s*os\.path\.join\(\s*_THIS_FOLDER,\s*\"([^\"]+)\""
)


def json5_loads(text: str) -> Any:
    """The JSON5 subset the templates use: comments and trailing commas."""
    out, index, quote = [], 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            out.append(char)
            if char == "\\":
                out.append(text[index + 1])
                index += 1
            elif char == quote:
                quote = ""
        elif char == '"':
            quote = char
            out.append(char)
        elif text.startswith("//", index):
            index = text.find("\n", index)
            if index < 0:
                break
            continue
        elif text.startswith("/*", index):
            index = text.find("*/", index) + 2
            continue
        else:
            out.append(char)
        index += 1
    cleaned = re.sub(r",(\s*[}\]])", r"\1", "".join(out))
    return json.loads(cleaned)


def template_index(root: Path) -> dict[tuple[str, str], Path]:
    """``(TemplateClass, CONSTANT) -> file`` over every ``*_templates.py`` module."""
    index: dict[tuple[str, str], Path] = {}
    for module in (root / "templates").rglob("*_templates.py"):
        text = module.read_text()
        for block in re.split(r"\nclass ", text)[1:]:
            class_name = block.split("(", 1)[0].split(":", 1)[0].strip()
            for name, relative in _CONSTANT.findall(block):
                index[(class_name, name)] = module.parent / relative
    return index


def _aliases(text: str) -> dict[str, str]:
    """``import X as Y`` aliases of template classes (``IntrinsicFunctionTemplate as IFT``)."""
    return dict((alias, name) for name, alias in re.findall(r"(\w+) as (\w+)", text))


def test_templates(test_file: Path, test_name: str, param: str | None) -> list[tuple[str, str]]:
    """Template references a recorded test used: the parametrized one named like ``param``,
    else the single one in the test's own body."""
    text = test_file.read_text()
    aliases = _aliases(text)
    start = text.find(f"def {test_name}(")
    if start < 0:
        return []
    previous = text.rfind("\n    def ", 0, start)
    following = text.find("\n    def ", start + 1)
    chunk = text[max(previous, 0) : following if following > 0 else len(text)]
    own = text[start : following if following > 0 else len(text)]
    pattern = r"\b([A-Z][A-Za-z]*)\.([A-Z][A-Z0-9_]+)\b"
    if param is not None:
        named = [(aliases.get(c, c), n) for c, n in re.findall(pattern, chunk) if n == param]
        if named:
            return named
        # parametrize([T.A, T.B], ids=["a", "b"]): the template at the id's position.
        for block in re.findall(r"parametrize\((.*?)\)\s*\n\s*(?:@|def |async def )", chunk, re.S):
            ids_match = re.search(r"ids=\[(.*?)\]", block, re.S)
            if ids_match is None:
                continue
            ids = re.findall(r"\"([^\"]*)\"", ids_match.group(1))
            refs = re.findall(pattern, block[: ids_match.start()])
            if param in ids and len(refs) == len(ids):
                c, n = refs[ids.index(param)]
                return [(aliases.get(c, c), n)]
    return [(aliases.get(c, c), n) for c, n in re.findall(pattern, own)]


def recordings(root: Path) -> list[tuple[str, str | None, str, list[dict[str, Any]]]]:
    found = []
    for snapshot in (root / "v2").rglob("*.snapshot.json"):
        for key, entry in json.loads(snapshot.read_text()).items():
            name = key.split("::")[-1]
            test_name, _, param = name.partition("[")
            param = param.rstrip("]") or None
            for label, content in entry.get("recorded-content", {}).items():
                if isinstance(content, dict) and isinstance(content.get("events"), list):
                    test_file = snapshot.with_name(snapshot.name.replace(".snapshot.json", ".py"))
                    found.append(
                        (
                            f"{key}::{label}",
                            param,
                            str(test_file) + "::" + test_name,
                            content["events"],
                        )
                    )
    return found


def _has_task(definition: Any) -> bool:
    return '"Task"' in json.dumps(definition)


def outcome(events: list[dict[str, Any]]) -> tuple[Any, ...] | None:
    started = next((e for e in events if e["type"] == "ExecutionStarted"), None)
    if started is None or any(e["type"].startswith("Task") for e in events):
        return None
    data = started["executionStartedEventDetails"].get("input")
    for event in events:
        if event["type"] == "ExecutionSucceeded":
            return (
                data,
                "SUCCEEDED",
                event["executionSucceededEventDetails"].get("output"),
                None,
                None,
            )
        if event["type"] == "ExecutionFailed":
            details = event["executionFailedEventDetails"]
            return (data, "FAILED", None, details.get("error"), details.get("cause"))
    return None


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("localstack", type=Path, help="a LocalStack checkout")
    parser.add_argument("--show-mismatches", type=int, default=0)
    args = parser.parse_args()
    root = args.localstack / "tests/aws/services/stepfunctions"
    templates = template_index(root)
    counts: Counter[str] = Counter()
    mismatches: list[str] = []
    for key, param, test_ref, events in recordings(root):
        expected = outcome(events)
        if expected is None:
            continue
        test_file, test_name = test_ref.split("::")
        references = test_templates(Path(test_file), test_name, param)
        names = [name for name in dict.fromkeys(references) if name in templates]
        if len(names) != 1:
            counts["unpaired"] += 1
            continue
        try:
            definition = json5_loads(templates[names[0]].read_text())
        except (ValueError, OSError):
            counts["unreadable"] += 1
            continue
        if _has_task(definition):
            continue
        language = "JSONata" if "JSONata" in json.dumps(definition) else "JSONPath"
        data, status, output, error, cause = expected
        try:
            result = Interpreter(definition, invoke_task=lambda _: None, time_scale=0).run(
                _parsed(data),
                execution_arn=f"{ARN}:execution:sm:run",
                execution_name="run",
                state_machine_arn=f"{ARN}:stateMachine:sm",
                state_machine_name="sm",
            )
            got = (result.status, result.output, result.error, result.cause)
        except SfnError as exc:
            got = ("INVALID", None, type(exc).__name__, str(exc)[:200])
        want = (status, _parsed(output), error, cause)
        same = got == want
        counts[f"{language} total"] += 1
        counts[f"{language} match"] += same
        if not same:
            mismatches.append(f"{key}\n    want {str(want)[:1500]}\n    got  {str(got)[:1500]}")
    for language in ("JSONPath", "JSONata"):
        total, match = counts[f"{language} total"], counts[f"{language} match"]
        share = 100 * match / total if total else 0
        print(f"{language:9} {match:4}/{total:<4} executions match ({share:.1f}%)")
    print(f"unpaired recordings: {counts['unpaired']}, unreadable: {counts['unreadable']}")
    for line in mismatches[: args.show_mismatches]:
        print(line)


if __name__ == "__main__":
    sys.exit(main())
