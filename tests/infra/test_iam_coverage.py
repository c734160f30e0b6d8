"""Every AWS call the code makes in the test suite is allowed by the policy it runs under.

moto evaluates no IAM, so a call the deployed role may not make passes every other test and
fails on the first real night (DescribeExecution on an execution ARN was the first such call).
This module applies the stack to moto once, runs the AWS-facing tests in a child pytest with
the recorder plugin (tests/infra/iam_recorder.py), rebinds each recorded call to the applied
stack's resources, and evaluates it with tests/infra/iam_eval.py against the Terraform-rendered
policy of its role: the step-handler task role for `handlers/`, the operator policy for
`senso_cli/`. A denied call fails with the call, its ARN, where it was made and the statement
that would allow it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from tests.infra.harness import REPO_ROOT, MotoServer, TerraformSetup, apply_citest_stack
from tests.infra.iam_calls import RESOURCE_RULES, RecordedCall
from tests.infra.iam_eval import Request, evaluate, merge
from tests.infra.iam_recorder import LOG_VARIABLE

pytestmark = pytest.mark.slow

# The tests whose calls are checked: the ones that run `senso` commands and the container's
# steps against a mocked AWS API. (Tests of the client wrappers alone record nothing: a wrapper
# called by a test is not a command an operator runs. `senso deploy`'s ECR calls are left out
# because its test applies the whole stack twice; docs/aws-behaviour.md says so.)
RECORDED_TESTS = (
    "tests/functional/awsmode",
    "tests/functional/steps/test_rollback_guard.py",
)


@dataclass(frozen=True)
class Stack:
    """The applied stack's identifiers and each role's rendered policy documents."""

    outputs: dict[str, Any]
    policies: dict[str, dict[str, Any]]  # role -> merged identity policy

    @property
    def state_machine_arn(self) -> str:
        return str(self.outputs["state_machine_arn"])

    def _machine(self, test_name: str) -> str:
        """The stack's dispatcher for a test's dispatcher machine, else its org machine."""
        if "dispatcher" in test_name:
            return str(self.outputs["dispatcher_state_machine_arn"])
        return self.state_machine_arn

    def _arn(self, service: str, resource: str) -> str:
        head = self.state_machine_arn.split(":")
        return f"arn:{head[1]}:{service}:{head[3]}:{head[4]}:{resource}"

    def rebind(self, arn: str) -> str:
        """The stack's resource of the same kind as a test's resource (one of each kind)."""
        if arn == "*":
            return arn
        parts = arn.split(":", 5)
        service, resource = parts[2], parts[5]
        if service == "states" and resource.startswith("stateMachine:"):
            return self._machine(resource.split(":")[1])
        if service == "states" and resource.startswith("execution:"):
            _, machine_name, name = resource.split(":")[:3]
            machine = self._machine(machine_name).split(":stateMachine:")[1]
            return self._arn("states", f"execution:{machine}:{name}")
        if service == "ssm":
            return self._arn("ssm", f"parameter{self.outputs['rollout_parameter_name']}")
        if service == "logs":
            group = resource.split(":")[1]
            which = "state_machine_log_group" if "states" in group else "handler_log_group"
            rest = resource.split(":", 2)[2:] or []
            tail = f":{rest[0]}" if rest else ""
            return self._arn("logs", f"log-group:{self.outputs[which]}{tail}")
        if service == "secretsmanager":
            return str(self.outputs["secret_arn"])
        if service == "scheduler":
            which = (
                "rollback_schedule_name" if "rollback" in resource else "dispatcher_schedule_name"
            )
            return self._arn("scheduler", f"schedule/default/{self.outputs[which]}")
        if service == "ecs" and resource.startswith("task/"):
            cluster = str(self.outputs["cluster_arn"]).rsplit("/", 1)[1]
            return self._arn("ecs", f"task/{cluster}/{resource.rsplit('/', 1)[1]}")
        if service == "ecr":
            name = str(self.outputs["ecr_repository_url"]).split("/", 1)[1]
            return self._arn("ecr", f"repository/{name}")
        if service == "ecs" and resource.startswith("task-definition/"):
            family = str(self.outputs["task_definition_arn"]).rsplit(":", 1)[0]
            return f"{family}:{resource.rsplit(':', 1)[-1]}"
        raise AssertionError(f"no rule rebinds {arn} to the stack; add one to Stack.rebind")

    def rebind_context(self, context: dict[str, str]) -> dict[str, str]:
        if "ecs:cluster" in context:
            return {**context, "ecs:cluster": str(self.outputs["cluster_arn"])}
        return context


def _documents(state: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each role's policies (inline, and the operator's managed policy), merged."""
    roles = {r["values"]["name"]: r["address"] for r in state if r["type"] == "aws_iam_role"}
    by_role: dict[str, list[dict[str, Any]]] = {}
    for resource in state:
        values = resource["values"]
        if resource["type"] == "aws_iam_role_policy":
            role = roles[values["role"]].removeprefix("aws_iam_role.")
            by_role.setdefault(role, []).append(json.loads(values["policy"]))
        if resource["type"] == "aws_iam_policy" and values["name"].endswith("-operator"):
            by_role.setdefault("operator", []).append(json.loads(values["policy"]))
    return {role: merge(*docs) for role, docs in by_role.items()}


@pytest.fixture(scope="module")
def stack(terraform_setup: TerraformSetup, moto_server: MotoServer) -> Iterator[Stack]:
    terraform, _, _ = apply_citest_stack(terraform_setup, moto_server)
    try:
        yield Stack(terraform.outputs(), _documents(terraform.state_resources()))
    finally:
        terraform.run("destroy", "-auto-approve", "-input=false", "-no-color")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[RecordedCall]:
    """The calls of the recorded tests, each once per (role, action, resource, context)."""
    log = tmp_path_factory.mktemp("iam") / "calls.jsonl"
    env = {**os.environ, LOG_VARIABLE: str(log)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.infra.iam_recorder",
         "-p", "no:cacheprovider", "-p", "no:randomly", *RECORDED_TESTS],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"the recorded tests failed:\n{result.stdout[-4000:]}"
    unique: dict[str, RecordedCall] = {}
    for line in log.read_text().splitlines():
        raw = json.loads(line)
        call = RecordedCall(**{**raw, "resources": tuple(raw["resources"])})
        key = json.dumps([call.role, call.action, call.resources, call.context], sort_keys=True)
        unique.setdefault(key, call)
    return list(unique.values())


def denials(stack: Stack, calls: list[RecordedCall]) -> list[str]:
    """One line per call the role's policy denies, naming the statement that is missing."""
    problems = []
    for call in calls:
        if not call.resources:
            problems.append(
                f"{call.role}: {call.action} (at {call.caller}) has no resource rule; add one "
                f"to tests/infra/iam_calls.py RESOURCE_RULES"
            )
            continue
        document = stack.policies.get(call.role)
        if document is None:
            problems.append(f"{call.role}: no Terraform policy for this role ({call.action})")
            continue
        context = stack.rebind_context(call.context)
        for resource in (stack.rebind(arn) for arn in call.resources):
            verdict = evaluate(document, Request(call.action, resource, context))
            if not verdict.allowed:
                wanted = {"Effect": "Allow", "Action": call.action, "Resource": resource}
                problems.append(
                    f"{call.role} role: {call.action} on {resource} is denied "
                    f"({verdict.decision}; called at {call.caller}); missing statement: "
                    f"{json.dumps(wanted)}"
                )
    return sorted(set(problems))


def test_every_recorded_call_is_allowed_by_its_roles_policy(
    stack: Stack, recorded: list[RecordedCall]
) -> None:
    problems = denials(stack, recorded)
    assert not problems, "calls the deployed roles may not make:\n" + "\n".join(problems)


def test_the_recording_sees_both_roles_and_the_calls_that_matter(
    recorded: list[RecordedCall],
) -> None:
    seen = {(c.role, c.action) for c in recorded}
    # The dispatcher's second start of a day describes the existing execution (issue 16).
    assert ("task", "states:DescribeExecution") in seen
    assert ("task", "states:StartExecution") in seen
    assert ("operator", "states:StartExecution") in seen
    assert all((c.service, c.operation) in RESOURCE_RULES for c in recorded)


def test_removing_describe_execution_from_the_task_role_is_caught(
    stack: Stack, recorded: list[RecordedCall]
) -> None:
    task = stack.policies["task"]
    stripped = {
        **task,
        "Statement": [
            {**s, "Action": [a for a in _as_list(s["Action"]) if a != "states:DescribeExecution"]}
            for s in task["Statement"]
        ],
    }
    crippled = replace(stack, policies={**stack.policies, "task": stripped})
    problems = denials(crippled, recorded)
    machine = stack.state_machine_arn.split(":stateMachine:")[1]
    execution_prefix = stack.state_machine_arn.replace(":stateMachine:", ":execution:")
    assert problems, "removing DescribeExecution went unnoticed"
    assert all("task role: states:DescribeExecution on " in p for p in problems), problems
    assert all(f"{execution_prefix}:" in p for p in problems), (machine, problems)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_recorder_writes_calls_of_project_code_only(tmp_path: Path) -> None:
    """The plugin on its own: the dispatcher's DescribeExecution is recorded as the task role's
    with its execution ARN; the test's own CreateStateMachine and a client wrapper called
    without a command are not recorded."""
    script = (
        "import boto3, json\n"
        "from moto import mock_aws\n"
        "from tests.infra.iam_recorder import install\n"
        f"install({str(tmp_path / 'log.jsonl')!r})\n"
        "from handlers.steps.dispatch import Boto3Executions\n"
        "from senso_cli.aws.stepfunctions import StepFunctions\n"
        "with mock_aws():\n"
        "    c = boto3.client('stepfunctions', region_name='us-east-1')\n"
        "    d = json.dumps({'StartAt': 'P', 'States': {'P': {'Type': 'Pass', 'End': True}}})\n"
        "    arn = c.create_state_machine(name='m', definition=d,\n"
        "        roleArn='arn:aws:iam::123456789012:role/r')['stateMachineArn']\n"
        "    ex = c.start_execution(stateMachineArn=arn, name='x')['executionArn']\n"
        "    Boto3Executions(c, arn).status(ex)\n"
        "    StepFunctions(c).describe_execution(ex)\n"
    )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, check=False, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(x["role"], x["action"]) for x in lines] == [("task", "states:DescribeExecution")]
    assert lines[0]["resources"] == ["arn:aws:states:us-east-1:123456789012:execution:m:x"]
    assert lines[0]["caller"].startswith("handlers/steps/dispatch.py:")
