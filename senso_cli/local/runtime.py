"""Start, run and redrive executions of an ASL document locally, recorded in PostgreSQL.

The interpreter (senso_cli.sfn) does the States Language; this module gives it the ECS step
invoker, writes every history event as it happens, and keeps the execution's status, so a
SIGKILL leaves an execution that `redrive` can continue from the state that did not finish.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.runtime import build_services
from senso_cli.local.definition import (
    STATE_MACHINE_NAME,
    execution_arn,
    load_definition,
    state_machine_arn,
)
from senso_cli.local.invoker import EcsStepInvoker, Isolation
from senso_cli.local.store import ExecutionStore, owner_alive
from senso_cli.services.run_definition import one_line
from senso_cli.settings import Settings
from senso_cli.sfn.errors import DefinitionError
from senso_cli.sfn.interpreter import ExecutionResult, Interpreter
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker


@dataclass(frozen=True)
class Started:
    execution_arn: str
    name: str
    started: bool


class LocalRuntime:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        isolation: Isolation = "inprocess",
        definition: dict[str, Any] | None = None,
        time_scale: float | None = None,
        machine_name: str = STATE_MACHINE_NAME,
        resource_invokers: Mapping[str, TaskInvoker] | None = None,
    ) -> None:
        self.db = db
        self.store = ExecutionStore(db)
        self._settings = settings
        self._definition = definition if definition is not None else load_definition()
        self._time_scale = settings.time_scale if time_scale is None else time_scale
        self._machine = machine_name
        # A step process reads the same home (config file) as this one, like a task definition
        # that carries the environment's settings.
        self._invoker = EcsStepInvoker(
            db,
            isolation=isolation,
            services_factory=lambda: build_services(settings),
            extra_env={"SENSO_HOME": str(settings.home)},
        )
        # Task resources other than ECS steps (the dispatcher's startExecution.sync).
        self._resource_invokers = dict(resource_invokers or {})

    @property
    def state_machine_arn(self) -> str:
        return state_machine_arn(self._machine)

    @property
    def settings(self) -> Settings:
        return self._settings

    def arn_for(self, name: str) -> str:
        """The ARN an execution of this machine called `name` has (or will have)."""
        return execution_arn(name, self._machine)

    def _invoke(self, invocation: TaskInvocation) -> Any:
        invoker = self._resource_invokers.get(invocation.resource)
        if invoker is not None:
            return invoker(invocation)
        return self._invoker(invocation)

    def _interpreter(self, redrive_count: int, arn: str) -> Interpreter:
        try:
            return Interpreter(
                self._definition,
                invoke_task=self._invoke,
                time_scale=self._time_scale,
                on_event=lambda event: self.store.append(arn, redrive_count, dict(event)),
            )
        except DefinitionError as exc:
            raise InvalidInputError(f"invalid state machine: {one_line(exc)}") from exc

    def start(self, input: dict[str, Any], *, name: str, org_id: UUID | None = None) -> Started:
        arn = execution_arn(name, self._machine)
        created = self.store.create(
            arn=arn,
            name=name,
            state_machine_arn=state_machine_arn(self._machine),
            input=input,
            org_id=org_id,
        )
        return Started(arn, name, created)

    def run(self, arn: str) -> ExecutionResult:
        """Run a started execution to its end in this thread."""
        record = self.store.get(arn)
        self.store.claim(arn)
        result = self._interpreter(record["redrive_count"], arn).run(
            record["input"],
            execution_arn=arn,
            execution_name=record["name"],
            state_machine_arn=record["state_machine_arn"],
            state_machine_name=self._machine,
        )
        self.store.finish(arn, result.status, result.output, result.error, result.cause)
        self._finalize(arn, result)
        return result

    def _finalize(self, arn: str, result: ExecutionResult) -> None:
        """What the EventBridge rule on execution status changes does on AWS: an execution that
        ended without MarkBatchFailed (timed out, aborted) leaves no batch running."""
        if result.status == "SUCCEEDED":
            return
        payload = {"execution_status": result.status, "error": result.error, "cause": result.cause}
        run_step("FinalizeExecution", payload, db=self.db, execution_id=arn)

    def run_in_thread(self, arn: str) -> threading.Thread:
        thread = threading.Thread(
            target=self.run, args=(arn,), name=f"execution-{arn[-12:]}", daemon=True
        )
        thread.start()
        return thread

    def redrive_point(self, arn: str) -> tuple[str, Any]:
        """The state that did not finish, and the input it had (RedriveExecution's rule)."""
        open_states: dict[str, Any] = {}
        order: list[str] = []
        for event in self.store.history(arn):
            entered = event.get("stateEnteredEventDetails")
            exited = event.get("stateExitedEventDetails")
            if entered:
                open_states[entered["name"]] = entered.get("input")
                order.append(entered["name"])
            elif exited:
                open_states.pop(exited["name"], None)
        top_level = set(self._definition["States"])
        for name in reversed(order):
            if name in open_states and name in top_level:
                import json

                raw = open_states[name]
                return name, json.loads(raw) if isinstance(raw, str) else raw
        raise InvalidInputError(
            f"execution {arn} has no unfinished state to redrive from",
            hint="start a new execution with `senso trigger`",
        )

    def redrive(self, arn: str) -> ExecutionResult:
        record = self.store.get(arn)
        if record["status"] == "SUCCEEDED":
            raise InvalidInputError("a succeeded execution cannot be redriven")
        if record["status"] == "RUNNING" and owner_alive(record):
            raise InvalidInputError(
                f"execution {record['name']} is still running (pid {record['owner_pid']})",
                hint="wait for it, or stop that process first",
            )
        arn = record["execution_arn"]
        state, state_input = self.redrive_point(arn)
        redrive_count = self.store.begin_redrive(arn)
        result = self._interpreter(redrive_count, arn).run(
            state_input,
            execution_arn=arn,
            execution_name=record["name"],
            state_machine_arn=record["state_machine_arn"],
            state_machine_name=self._machine,
            start_at=state,
            redrive_count=redrive_count,
            execution_input=record["input"],
        )
        self.store.finish(arn, result.status, result.output, result.error, result.cause)
        self._finalize(arn, result)
        return result
