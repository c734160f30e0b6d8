"""Run a Task state's ECS step through the container contract, as Fargate would.

The ASL passes the step name as the container command and its input and task token through
environment overrides. Locally, `inprocess` isolation calls the same step function in this
process; `process` isolation runs `python -m handlers STEP` with exactly those variables (and the
database URL the task definition would inject), reads heartbeats from its JSON log lines and
kills it when the runtime gives up (timeout, heartbeat timeout, abort).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any, Literal

from handlers import envvars
from handlers.contract import read_input, run_step
from handlers.db.database import Database
from handlers.errors import SensoError
from handlers.logs import get_logger
from handlers.steps.base import PROVIDERS, get_step
from senso_cli.local.steplogs import StepLogStream
from senso_cli.sfn.ecs import ecs_container_contract, is_ecs_run_task
from senso_cli.sfn.errors import StatesError
from senso_cli.sfn.tasks import TaskInvocation, UnsupportedResourceInvoker

Isolation = Literal["inprocess", "process"]


class EcsStepInvoker:
    def __init__(
        self,
        db: Database,
        *,
        isolation: Isolation = "inprocess",
        services_factory: Callable[[], Any],
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self._db = db
        self._isolation = isolation
        self._services_factory = services_factory
        self._services: Any = None
        self._lock = threading.Lock()
        self._extra_env = extra_env or {}
        self._unsupported = UnsupportedResourceInvoker()

    def _services_once(self) -> Any:
        with self._lock:
            if self._services is None:
                self._services = self._services_factory()
            return self._services

    def __call__(self, invocation: TaskInvocation) -> Any:
        if not is_ecs_run_task(invocation.resource):
            return self._unsupported(invocation)
        try:
            command, environment = ecs_container_contract(invocation.parameters)
        except ValueError as exc:
            raise StatesError("States.Runtime", str(exc)) from exc
        if len(command) != 1:
            raise StatesError(
                "Senso.InvalidInput", f"expected one step name as command, got {command}"
            )
        step = command[0]
        if self._isolation == "process":
            return self._run_process(step, environment, invocation)
        try:
            payload = read_input(environment, lambda: "{}")
        except SensoError as exc:
            raise StatesError(exc.error_name, exc.message) from exc
        execution_id = environment.get(envvars.EXECUTION_ID)
        # The same JSON lines the container writes to CloudWatch, kept for `senso logs`.
        log = get_logger(
            StepLogStream(self._db, execution_id),
            step=step,
            execution_id=execution_id,
            org_id=payload.get("org_id"),
            batch_id=payload.get("batch_id") or (payload.get("batch") or {}).get("batch_id"),
        )
        log.info("step started")

        def beat() -> None:
            invocation.heartbeat()
            log.info("heartbeat")

        # The runtime shares one provider registry (and its rate limits) across the matrix
        # steps it runs; any other dependency the step declared is built from the environment.
        shared = get_step(step).needs == PROVIDERS
        try:
            output = run_step(
                step,
                payload,
                db=self._db,
                execution_id=execution_id,
                heartbeat=beat,
                heartbeat_seconds=invocation.heartbeat_seconds,
                services=self._services_once() if shared else None,
            )
        except SensoError as exc:
            # Also what MarkBatchFailed reads the cause from (the ASL passes only the name).
            log.error("step failed", error=exc.error_name, cause=exc.message)
            raise StatesError(exc.error_name, exc.message) from exc
        log.info("step succeeded", output=output)
        return output

    def _run_process(
        self, step: str, environment: dict[str, str], invocation: TaskInvocation
    ) -> Any:
        env = {**os.environ, **self._extra_env, **environment}
        env[envvars.DATABASE_URL] = self._db.url
        if invocation.heartbeat_seconds is not None:
            env[envvars.HEARTBEAT_SECONDS] = str(invocation.heartbeat_seconds)
        # No token: the child prints its output and exits non-zero on failure instead of
        # calling SendTaskSuccess/Failure, which locally has nobody to answer.
        env.pop(envvars.TASK_TOKEN, None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "handlers", step],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        last_error: dict[str, Any] = {}
        sink = StepLogStream(self._db, environment.get(envvars.EXECUTION_ID))

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict) and "message" in record:
                    sink.record(record)
                if record.get("message") == "heartbeat":
                    invocation.heartbeat()
                if "error" in record and "cause" in record:
                    last_error.update(record)

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        watcher = threading.Thread(
            target=self._kill_when_cancelled, args=(proc, invocation), daemon=True
        )
        watcher.start()
        assert proc.stdout is not None
        output = proc.stdout.read()
        code = proc.wait()
        reader.join(timeout=5)
        if invocation.cancelled.is_set():
            raise StatesError("States.TaskFailed", "the task was stopped")
        if code != 0:
            raise StatesError(
                str(last_error.get("error", "States.TaskFailed")),
                str(last_error.get("cause", f"step process exited with code {code}")),
            )
        return json.loads(output.strip().splitlines()[-1])

    @staticmethod
    def _kill_when_cancelled(proc: subprocess.Popen[str], invocation: TaskInvocation) -> None:
        while proc.poll() is None:
            if invocation.cancelled.wait(0.2):
                proc.kill()
                return
