"""ECS failures as AWS raises them, run through the real ASL documents on the local interpreter.

moto never answers RunTask with `failures`, never throttles and never stops a task on its own,
so these behaviours are reproduced here with their documented shapes:

* RunTask answering 200 with `failures` makes Step Functions raise `AmazonECS.Unknown`; RunTask
  throttling and server errors arrive as `ECS.*` errors. Each Task state retries them with
  exponential backoff and full jitter (asl/org-evaluation-workflow.json).
* A task that stops before calling back produces an "ECS Task State Change" event with
  lastStatus STOPPED, its stoppedReason and its overrides (ECS developer guide, task state change
  events). asl/task-stopped-workflow.json, started by the EventBridge rule of
  infra/terraform/task_stopped.tf, sends SendTaskFailure(Senso.TaskStopped) with the stop
  reason for the task token found in those overrides.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from senso_cli.sfn import Interpreter, StatesError, TaskInvocation
from senso_cli.sfn.ecs import is_ecs_run_task

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / "asl" / "org-evaluation-workflow.json"
TASK_STOPPED = ROOT / "asl" / "task-stopped-workflow.json"
SEND_TASK_FAILURE = "arn:aws:states:::aws-sdk:sfn:sendTaskFailure"
ECS_START_ERRORS = ("AmazonECS.Unknown", "ECS.AmazonECSException", "ECS.ThrottlingException")
# The stop reason ECS gives a task whose secret lacks a key (ECS developer guide, "Specifying
# sensitive data"; the task never starts, so the step never calls back).
SECRET_REASON = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 1 "
    "time(s): retrieved secret from Secrets Manager did not contain json key OPENAI_API_KEY"
)


def workflow() -> dict[str, Any]:
    """The org-evaluation definition with Terraform's template variables filled in."""
    text = WORKFLOW.read_text()
    for name, value in {
        "cluster_arn": "arn:aws:ecs:us-east-1:123456789012:cluster/senso-test",
        "task_definition_arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/senso:7",
        "container_name": "handlers",
        "subnet_ids": "subnet-1",
        "security_group_ids": "sg-1",
    }.items():
        text = text.replace("${" + name + "}", value)
    assert not re.search(r"\$\{[a-z_]+\}", text), "a template variable was not filled"
    return dict(json.loads(text))


def first_task(definition: dict[str, Any]) -> str:
    state = str(definition["StartAt"])
    while definition["States"][state]["Type"] != "Task":
        state = str(definition["States"][state]["Next"])
    return state


def run(definition: dict[str, Any], invoke: Any, sleeps: list[float] | None = None) -> Any:
    interpreter = Interpreter(
        definition,
        invoke_task=invoke,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
    )
    return interpreter.run(
        {"org_id": "org-1", "batch_day": "2026-12-01"},
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:senso:e1",
        execution_name="e1",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:senso",
        state_machine_name="senso",
    )


@pytest.mark.parametrize("error", ECS_START_ERRORS)
def test_every_task_retries_ecs_start_failures_with_backoff_then_succeeds(error: str) -> None:
    definition = workflow()
    # Each Task state fails to start twice, then its step runs; the batch completes.
    attempts: dict[str, int] = {}

    def invoke(invocation: TaskInvocation) -> Any:
        assert is_ecs_run_task(invocation.resource)
        count = attempts[invocation.state_name] = attempts.get(invocation.state_name, 0) + 1
        if count <= 2:
            raise StatesError(error, "Capacity is unavailable at this time. (RESOURCE:FARGATE)")
        return {"status": "pending", "batch_id": "b-1"}

    sleeps: list[float] = []
    result = run(definition, invoke, sleeps)
    assert result.status == "SUCCEEDED", result
    tasks = [n for n, s in definition["States"].items() if s["Type"] == "Task"]
    ran = [n for n in tasks if n in attempts]
    assert ran and all(attempts[n] == 3 for n in ran)
    # Two retries per state, each waiting at most its backoff (5 s, then 10 s; full jitter).
    assert len(sleeps) == 2 * len(ran)
    assert all(0 <= s <= 10 for s in sleeps)


def test_ecs_start_failures_that_persist_fail_the_step_after_bounded_retries() -> None:
    definition = workflow()
    state = first_task(definition)
    retrier = next(
        r for r in definition["States"][state]["Retry"] if "AmazonECS.Unknown" in r["ErrorEquals"]
    )
    # Enough patience for a capacity shortage (minutes), bounded well under the step timeout.
    waits = [
        min(retrier["IntervalSeconds"] * retrier["BackoffRate"] ** i, retrier["MaxDelaySeconds"])
        for i in range(retrier["MaxAttempts"])
    ]
    assert 120 <= sum(waits) <= 600
    assert retrier["JitterStrategy"] == "FULL"
    for name, s in definition["States"].items():
        if s["Type"] == "Task":
            errors = [e for r in s["Retry"] for e in r["ErrorEquals"]]
            assert set(ECS_START_ERRORS) <= set(errors), name
            assert len(errors) == len(set(errors)), f"{name}: an error in two retriers"


# --- a task that stops before calling back ---------------------------------------------------


def stopped_event(parameters: dict[str, Any], reason: str) -> dict[str, Any]:
    """The "ECS Task State Change" event ECS sends for a stopped task started with `parameters`.

    Step Functions passes the Task's PascalCase parameters to RunTask, whose API (and so the
    event's `overrides`) spells them in camelCase.
    """

    def camel(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].lower() + k[1:]: camel(v) for k, v in value.items()}
        if isinstance(value, list):
            return [camel(v) for v in value]
        return value

    return {
        "version": "0",
        "id": "4a0e2b3c-1111-2222-3333-444455556666",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {
            "clusterArn": parameters["Cluster"],
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/senso-test/0123456789abcdef",
            "taskDefinitionArn": parameters["TaskDefinition"],
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedReason": reason,
            "launchType": "FARGATE",
            "containers": [{"name": "handlers", "lastStatus": "STOPPED"}],
            "overrides": camel(parameters["Overrides"]),
        },
    }


def run_task_stopped(event: dict[str, Any], send_task_failure: Any) -> Any:
    def invoke(invocation: TaskInvocation) -> Any:
        assert invocation.resource == SEND_TASK_FAILURE
        return send_task_failure(invocation.parameters)

    interpreter = Interpreter(json.loads(TASK_STOPPED.read_text()), invoke_task=invoke)
    return interpreter.run(
        event,
        execution_arn="arn:aws:states:us-east-1:123456789012:express:task-stopped:x:y",
        execution_name="x",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:task-stopped",
        state_machine_name="task-stopped",
    )


def test_the_task_stopped_machine_fails_the_token_in_the_overrides_with_the_reason() -> None:
    parameters = {
        "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/senso-test",
        "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/senso:7",
        "Overrides": {
            "ContainerOverrides": [
                {
                    "Name": "handlers",
                    "Command": ["CheckBalance"],
                    "Environment": [
                        {"Name": "SENSO_EXECUTION_ID", "Value": "arn:execution"},
                        {"Name": "SENSO_TASK_TOKEN", "Value": "token-123"},
                    ],
                }
            ]
        },
    }
    sent: list[dict[str, Any]] = []
    result = run_task_stopped(stopped_event(parameters, SECRET_REASON), sent.append)
    assert result.status == "SUCCEEDED", result
    assert len(sent) == 1
    assert sent[0]["TaskToken"] == "token-123"
    assert sent[0]["Error"] == "Senso.TaskStopped"
    assert SECRET_REASON in sent[0]["Cause"]
    assert "0123456789abcdef" in sent[0]["Cause"]


@pytest.mark.parametrize("error", ["Sfn.TaskTimedOutException", "Sfn.InvalidTokenException"])
def test_a_step_that_already_reported_is_left_alone(error: str) -> None:
    """A task that called SendTaskSuccess and then exited stops too: its token is spent."""
    parameters = workflow()["States"][first_task(workflow())]["Parameters"]
    parameters = json.loads(json.dumps(parameters).replace('"Value.$"', '"Value"'))

    def spent(_parameters: Any) -> Any:
        raise StatesError(error, "Provided task does not exist anymore")

    result = run_task_stopped(stopped_event(parameters, "Essential container exited"), spent)
    assert result.status == "SUCCEEDED", result


def test_a_scheduled_task_without_a_token_is_ignored() -> None:
    parameters = {
        "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/senso-test",
        "TaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/senso:7",
        "Overrides": {"ContainerOverrides": [{"Name": "handlers", "Command": ["Dispatch"]}]},
    }
    calls: list[Any] = []
    result = run_task_stopped(stopped_event(parameters, "Essential container exited"), calls.append)
    assert result.status == "SUCCEEDED" and calls == []


class FakeFargate:
    """RunTask with `.waitForTaskToken`: the task is "started" and the Task state waits for a
    callback on its token, as on AWS. `stop_before_reporting` makes every started task stop
    without calling back; ECS's STOPPED event then goes to the task-stopped state machine,
    whose SendTaskFailure is delivered to the waiting Task state."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.waiting: dict[str, tuple[threading.Event, list[StatesError]]] = {}
        self.started: list[str] = []

    def send_task_failure(self, parameters: dict[str, Any]) -> dict[str, Any]:
        done, failure = self.waiting.pop(parameters["TaskToken"])
        failure.append(StatesError(parameters["Error"], parameters["Cause"]))
        done.set()
        return {}

    def __call__(self, invocation: TaskInvocation) -> Any:
        assert invocation.task_token is not None
        self.started.append(invocation.state_name)
        done, failure = threading.Event(), []
        self.waiting[invocation.task_token] = (done, failure)
        event = stopped_event(invocation.parameters, self.reason)
        # EventBridge delivers the event to the rule's target: the task-stopped state machine.
        threading.Thread(target=run_task_stopped, args=(event, self.send_task_failure)).start()
        if not done.wait(30) or invocation.cancelled.is_set():
            raise AssertionError("no callback")
        raise failure[0]


def test_a_task_stopped_before_calling_back_fails_its_step_with_the_stop_reason() -> None:
    definition = workflow()
    fargate = FakeFargate(SECRET_REASON)
    result = run(definition, fargate)
    state = first_task(definition)
    # Not States.Timeout or States.HeartbeatTimeout: the step did not wait out its limits.
    assert result.status == "FAILED"
    assert result.error == "Senso.TaskStopped"
    assert SECRET_REASON in result.cause
    retrier = next(
        r for r in definition["States"][state]["Retry"] if "Senso.TaskStopped" in r["ErrorEquals"]
    )
    # The first step ran its retries, then the failure was recorded (MarkBatchFailed also stops).
    assert fargate.started.count(state) == 1 + retrier["MaxAttempts"]
