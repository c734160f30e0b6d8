"""The Step Functions calls senso makes: start, inspect, redrive and stop org executions.

Triggers are idempotent because execution names are deterministic (`execution_name`): starting
the same org/day/attempt twice finds the first execution instead of creating a second one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from handlers.errors import InvalidInputError
from handlers.executions import execution_name as shared_execution_name
from senso_cli.aws.errors import error_code, translate_errors

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.literals import ExecutionStatusType, StateMachineTypeType
    from mypy_boto3_stepfunctions.type_defs import (
        ExecutionListItemTypeDef,
        HistoryEventTypeDef,
    )

_STATE_MACHINE_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):states:(?P<region>[\w-]+):(?P<account>\d+)"
    r":stateMachine:(?P<name>[A-Za-z0-9_-]+)(?::[^:]+)?$"
)


@dataclass(frozen=True)
class StartResult:
    """What StartExecution did: `started` is False when the name was already taken."""

    execution_arn: str
    name: str
    started: bool
    start_date: datetime | None = None


@dataclass(frozen=True)
class ExecutionSummary:
    execution_arn: str
    name: str
    status: str
    start_date: datetime
    stop_date: datetime | None = None
    redrive_count: int = 0


@dataclass(frozen=True)
class Execution:
    """DescribeExecution's answer, reduced to what senso shows and decides on."""

    execution_arn: str
    state_machine_arn: str
    name: str
    status: str
    start_date: datetime
    stop_date: datetime | None
    input: str | None
    output: str | None
    error: str | None
    cause: str | None
    redrive_count: int
    redrive_status: str | None


def execution_name(
    org_id: str | int, day: date, attempt: int = 1, *, shadow: bool = False
) -> str:
    """The deterministic execution name for one org's evaluation on `day` (one rule, shared
    with the container's dispatcher: see handlers.executions.execution_name)."""
    return shared_execution_name(org_id, day, attempt, shadow=shadow)


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """The ARN an execution called `name` has (or will have) under `state_machine_arn`."""
    match = _STATE_MACHINE_ARN.match(state_machine_arn)
    if match is None:
        raise InvalidInputError(
            f"Not a state machine ARN: {state_machine_arn}",
            hint="Expected arn:aws:states:<region>:<account>:stateMachine:<name>",
        )
    # Executions of a version or alias still live under the unqualified state machine name.
    return (
        f"arn:{match['partition']}:states:{match['region']}:{match['account']}"
        f":execution:{match['name']}:{name}"
    )


def _summary(data: ExecutionListItemTypeDef) -> ExecutionSummary:
    return ExecutionSummary(
        execution_arn=data["executionArn"],
        name=data["name"],
        status=data["status"],
        start_date=data["startDate"],
        stop_date=data.get("stopDate"),
        redrive_count=int(data.get("redriveCount", 0)),
    )


class StepFunctions:
    """A thin wrapper over the Step Functions client; every failure is an AwsError."""

    def __init__(self, client: SFNClient) -> None:
        self._client = client

    def start_execution(self, state_machine_arn: str, name: str, input: str) -> StartResult:
        """Start `name`; if that name exists already, report it instead of failing.

        AWS itself answers 200 with the existing ARN when an identical start (same name and
        input) hits a running execution, so that case also comes back as `started=True`.
        """
        with translate_errors("states", "StartExecution"):
            try:
                response = self._client.start_execution(
                    stateMachineArn=state_machine_arn, name=name, input=input
                )
            except ClientError as error:
                if error_code(error) != "ExecutionAlreadyExists":
                    raise
                return StartResult(
                    execution_arn=execution_arn_for(state_machine_arn, name),
                    name=name,
                    started=False,
                )
        return StartResult(
            execution_arn=response["executionArn"],
            name=name,
            started=True,
            start_date=response["startDate"],
        )

    def describe_execution(self, execution_arn: str) -> Execution:
        with translate_errors("states", "DescribeExecution"):
            data = self._client.describe_execution(executionArn=execution_arn)
        return Execution(
            execution_arn=data["executionArn"],
            state_machine_arn=data["stateMachineArn"],
            name=data["name"],
            status=data["status"],
            start_date=data["startDate"],
            stop_date=data.get("stopDate"),
            input=data.get("input"),
            output=data.get("output"),
            error=data.get("error"),
            cause=data.get("cause"),
            redrive_count=int(data.get("redriveCount", 0)),
            redrive_status=data.get("redriveStatus"),
        )

    def list_executions(
        self,
        state_machine_arn: str,
        *,
        status: ExecutionStatusType | None = None,
        since: datetime | None = None,
    ) -> list[ExecutionSummary]:
        """Executions newest first, optionally only one status and only those started since."""
        return list(self.iter_executions(state_machine_arn, status=status, since=since))

    def iter_executions(
        self,
        state_machine_arn: str,
        *,
        status: ExecutionStatusType | None = None,
        since: datetime | None = None,
    ) -> Iterator[ExecutionSummary]:
        paginator = self._client.get_paginator("list_executions")
        kwargs: dict[str, str] = {"stateMachineArn": state_machine_arn}
        if status is not None:
            kwargs["statusFilter"] = status
        with translate_errors("states", "ListExecutions"):
            for page in paginator.paginate(**kwargs):  # type: ignore[arg-type]
                for item in page["executions"]:
                    summary = _summary(item)
                    # ListExecutions is newest first, so the first older one ends the scan
                    # instead of paging through months of history.
                    if since is not None and summary.start_date < since:
                        return
                    yield summary

    def get_execution_history(self, execution_arn: str) -> list[HistoryEventTypeDef]:
        """Every history event of the execution, oldest first, across all pages."""
        events: list[HistoryEventTypeDef] = []
        paginator = self._client.get_paginator("get_execution_history")
        with translate_errors("states", "GetExecutionHistory"):
            for page in paginator.paginate(executionArn=execution_arn, reverseOrder=False):
                events.extend(page["events"])
        return events

    def redrive_execution(self, execution_arn: str) -> datetime:
        """Redrive a failed execution from its failed state; returns the redrive time."""
        with translate_errors("states", "RedriveExecution"):
            return self._client.redrive_execution(executionArn=execution_arn)["redriveDate"]

    def stop_execution(
        self, execution_arn: str, *, error: str | None = None, cause: str | None = None
    ) -> datetime:
        kwargs: dict[str, str] = {"executionArn": execution_arn}
        if error is not None:
            kwargs["error"] = error
        if cause is not None:
            kwargs["cause"] = cause
        with translate_errors("states", "StopExecution"):
            return self._client.stop_execution(**kwargs)["stopDate"]

    def send_task_success(self, task_token: str, output: str) -> None:
        with translate_errors("states", "SendTaskSuccess"):
            self._client.send_task_success(taskToken=task_token, output=output)

    def send_task_failure(self, task_token: str, *, error: str, cause: str) -> None:
        with translate_errors("states", "SendTaskFailure"):
            self._client.send_task_failure(taskToken=task_token, error=error, cause=cause)

    def send_task_heartbeat(self, task_token: str) -> None:
        with translate_errors("states", "SendTaskHeartbeat"):
            self._client.send_task_heartbeat(taskToken=task_token)

    def create_state_machine(
        self,
        name: str,
        definition: str,
        role_arn: str,
        *,
        workflow_type: StateMachineTypeType = "STANDARD",
    ) -> str:
        """Create a state machine and return its ARN (tests and first deploys)."""
        with translate_errors("states", "CreateStateMachine"):
            response = self._client.create_state_machine(
                name=name,
                definition=definition,
                roleArn=role_arn,
                type=workflow_type,
            )
        return response["stateMachineArn"]

    def update_state_machine(
        self, state_machine_arn: str, *, definition: str, role_arn: str | None = None
    ) -> datetime:
        kwargs: dict[str, str] = {"stateMachineArn": state_machine_arn, "definition": definition}
        if role_arn is not None:
            kwargs["roleArn"] = role_arn
        with translate_errors("states", "UpdateStateMachine"):
            return self._client.update_state_machine(**kwargs)["updateDate"]  # type: ignore[arg-type]
