"""`states:startExecution.sync:2` on the local runtime: a Task that runs another execution.

The dispatcher state machine's Map starts each org's evaluation through this integration and
waits for it to end, which is what bounds the executions running at once by the Map's
MaxConcurrency. Locally the child is an execution of a `LocalRuntime` (recorded in the same
execution table, so `senso status` shows it), run to its end in the Map iteration's thread.

What the Task sees matches AWS: on success, DescribeExecution's fields with `Input` and
`Output` as JSON (the `:2` flavour); a name that already exists fails with
`StepFunctions.ExecutionAlreadyExistsException`; a child that does not succeed fails the Task
with `States.TaskFailed` and the DescribeExecution document as the cause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from senso_cli.sfn.errors import TASK_FAILED, StatesError
from senso_cli.sfn.tasks import TaskInvocation

if TYPE_CHECKING:
    from senso_cli.local.runtime import LocalRuntime

START_EXECUTION_RESOURCES = (
    "arn:aws:states:::states:startExecution.sync:2",
    "arn:aws:states:::states:startExecution.sync",
)
ALREADY_EXISTS = "StepFunctions.ExecutionAlreadyExistsException"


class ChildExecutionInvoker:
    """Runs the child execution a startExecution.sync Task names, on `runtime_for(arn)`."""

    def __init__(self, runtime_for: Callable[[str], LocalRuntime]) -> None:
        self._runtime_for = runtime_for

    def __call__(self, invocation: TaskInvocation) -> Any:
        parameters = invocation.parameters
        if not isinstance(parameters, dict) or "StateMachineArn" not in parameters:
            raise StatesError(TASK_FAILED, "startExecution needs Parameters.StateMachineArn")
        runtime = self._runtime_for(str(parameters["StateMachineArn"]))
        child_input = parameters.get("Input", {})
        if isinstance(child_input, str):
            child_input = json.loads(child_input)
        name = str(parameters.get("Name") or f"child-{invocation.context['Execution']['Name']}")
        org_id = child_input.get("org_id") if isinstance(child_input, dict) else None
        started_at = datetime.now(UTC)
        started = runtime.start(
            child_input, name=name, org_id=UUID(str(org_id)) if org_id else None
        )
        if not started.started:
            raise StatesError(
                ALREADY_EXISTS, f"Execution Already Exists: '{started.execution_arn}'"
            )
        result = runtime.run(started.execution_arn)
        sync2 = invocation.resource.endswith(":2")
        described = {
            "ExecutionArn": started.execution_arn,
            "StateMachineArn": runtime.state_machine_arn,
            "Name": name,
            "Status": result.status,
            "StartDate": started_at.isoformat(),
            "StopDate": datetime.now(UTC).isoformat(),
            "Input": child_input if sync2 else json.dumps(child_input),
            "Output": result.output if sync2 else json.dumps(result.output),
        }
        if result.status != "SUCCEEDED":
            described.update({"Error": result.error, "Cause": result.cause})
            raise StatesError(TASK_FAILED, json.dumps(described))
        return described
