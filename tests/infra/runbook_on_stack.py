"""docs/migration-runbook.md followed on the stack Terraform applied to moto's server.

The runbook's code blocks are read from the file and run in its order with `--env prod`
pointing at the applied stack (`senso env import-terraform` of the applied copy) and this test's
PostgreSQL. What a terminal would do with the lines that are not senso commands is done here:

* `aws scheduler get-schedule --name N --query State` reads the schedule through boto3 (the
  runbook's names are the prod stack's; the applied stack is `citest`, so the names come from
  the Terraform outputs);
* the shadow loop (`while read -r org ... done < shadow-orgs.txt`) runs its senso line once per
  org of the day's sample;
* `senso deploy` and the tfvars blocks are not run: the harness applied the stack (with both
  schedules on, as the runbook has them from week 2), and deploying needs Docker to build the
  image. What the week-2 deploy changes (the dispatcher schedule enabled) is set directly.

Step Functions itself is played by `play_step_functions`: every RUNNING execution senso started
on the stack's state machine runs through senso's own interpreter with the definition Terraform
deployed and the real step handlers, and moto's execution then ends with that status. moto's own
interpreter would run it too (tests/functional/awsmode/test_e2e_moto_server.py), but at about
two minutes per execution on a shared 2-core machine (138 s measured), too slow for the eight
executions a rehearsal starts.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from moto.stepfunctions.models import stepfunctions_backends

from handlers.db.database import Database
from senso_cli.local.runtime import LocalRuntime
from senso_cli.settings import load_settings

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "migration-runbook.md"
ACCOUNT = "123456789012"  # moto's default account
_GET_SCHEDULE = re.compile(r"^aws scheduler get-schedule --name (\S+) --query State$")


@dataclass(frozen=True)
class Block:
    """One fenced code block: its language and its non-empty lines (comments kept)."""

    heading: str
    language: str
    lines: list[str]


def blocks(start: str, stop: str) -> list[Block]:
    """The fenced blocks between two headings (or bold paragraph starts) of the runbook."""
    text = RUNBOOK.read_text()
    section = text[text.index(start) : text.index(stop)]
    found: list[Block] = []
    lines: list[str] = []
    heading, language, fenced = "", "", False
    for raw in section.splitlines():
        stripped = raw.strip()
        if stripped.startswith("```"):
            if fenced:
                found.append(Block(heading, language, lines))
            else:
                language, lines = stripped[3:], []
            fenced = not fenced
            continue
        if fenced and stripped:
            lines.append(stripped)
        elif not fenced and raw.startswith("#"):
            heading = raw.lstrip("#").strip()
    return found


def scheduled_name(line: str, names: dict[str, str]) -> str | None:
    """The schedule an `aws scheduler get-schedule` line reads, by the stack's outputs."""
    match = _GET_SCHEDULE.match(line)
    if match is None:
        return None
    documented = match[1]
    if documented.endswith("-dispatcher"):
        return names["dispatcher_schedule_name"]
    if documented.endswith("-rollback-guard"):
        return names["rollback_schedule_name"]
    raise AssertionError(f"the runbook reads a schedule the stack does not have: {line}")


def shadow_loop(block: Block) -> str | None:
    """The senso line inside a `while read -r org` loop, or None for any other block."""
    if not block.lines or not block.lines[0].startswith("while read -r org"):
        return None
    (inner,) = [line for line in block.lines if line.startswith("senso ")]
    return inner


def command_words(line: str, org: str | None = None) -> list[str]:
    """The arguments after `senso`, as the shell would pass them."""
    if org is not None:
        line = line.replace('"$org"', shlex.quote(org))
    words = shlex.split(line, comments=True)
    assert words[0] == "senso", line
    return words[1:]


# -- Step Functions and Fargate, played ----------------------------------------------------------


def _backend() -> Any:
    return stepfunctions_backends[ACCOUNT]["us-east-1"]


def play_step_functions(
    sfn: Any, state_machine_arn: str, db: Database, task_home: Path
) -> list[tuple[str, str]]:
    """Run every RUNNING execution of the state machine to its end; (name, status) of each."""
    definition = json.loads(
        sfn.describe_state_machine(stateMachineArn=state_machine_arn)["definition"]
    )
    settings = load_settings(
        environ={"SENSO_HOME": str(task_home), "SENSO_TIME_SCALE": "0"}
    ).settings
    runtime = LocalRuntime(db, settings, definition=definition, time_scale=0)
    ended: list[tuple[str, str]] = []
    for listed in _running(sfn, state_machine_arn):
        described = sfn.describe_execution(executionArn=listed["executionArn"])
        payload = json.loads(described["input"])
        started = runtime.start(payload, name=described["name"], org_id=_org_id(payload))
        result = runtime.run(started.execution_arn)
        execution = _backend().describe_execution(listed["executionArn"])
        execution.status = result.status
        execution.stop_date = datetime.now(UTC).isoformat()
        if result.status != "SUCCEEDED":
            execution.error, execution.cause = result.error, result.cause
        ended.append((described["name"], result.status))
    return ended


def _running(sfn: Any, state_machine_arn: str) -> Iterator[dict[str, Any]]:
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=state_machine_arn, statusFilter="RUNNING"
    )
    for page in pages:
        yield from page["executions"]


def _org_id(payload: dict[str, Any]) -> UUID | None:
    value = payload.get("org_id")
    return UUID(value) if isinstance(value, str) else None
