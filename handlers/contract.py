"""The container contract: `python -m handlers STEP`.

Input: JSON from SENSO_STEP_INPUT, else stdin: the execution's input (which org, which day),
never the whole state, because ECS limits a task's overrides to 8,192 characters. The state
machine adds ids as their own variables: SENSO_BATCH_ID, and for MarkBatchFailed the caught
error's name in SENSO_ERROR; the step reads everything else from PostgreSQL. With
SENSO_TASK_TOKEN set (the state machine's waitForTaskToken integration), the result goes back
through SendTaskSuccess / SendTaskFailure with an error name the state machine's Retry and Catch
match (Senso.InsufficientCredits, Senso.InvalidInput, Senso.Transient, ...), the failure's
cause is also recorded in PostgreSQL for MarkBatchFailed, and a background heartbeat beats every
third of SENSO_HEARTBEAT_SECONDS from start to end. Without a token the output JSON goes to
stdout and a failure exits non-zero. Logs are JSON lines on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import psycopg

from handlers import envvars
from handlers.db.database import Database, is_transient
from handlers.db.tables import Tables
from handlers.errors import BatchFailedError, InvalidInputError, SensoError, TransientError
from handlers.heartbeat import BackgroundHeartbeat, interval_for
from handlers.logs import get_logger, redact
from handlers.repositories.step_failures import record_step_failure
from handlers.settings import load_workflow_settings
from handlers.steps.base import StepContext, get_step, load_all

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
MAX_CAUSE = 32_000  # SendTaskFailure's cause limit is 32,768 characters


class TaskCallbacks(Protocol):
    """The three Step Functions calls a step handler makes (boto3's client has them)."""

    # Parameter names are AWS API names, as boto3 spells them.
    def send_task_success(self, *, taskToken: str, output: str) -> Any: ...  # noqa: N803
    def send_task_failure(self, *, taskToken: str, error: str, cause: str) -> Any: ...  # noqa: N803
    def send_task_heartbeat(self, *, taskToken: str) -> Any: ...  # noqa: N803


def error_name(exc: BaseException) -> str:
    if isinstance(exc, SensoError):
        return exc.error_name
    return "Senso.Unexpected"


def read_input(environ: Mapping[str, str], stdin: Callable[[], str]) -> dict[str, Any]:
    raw = environ.get(envvars.STEP_INPUT)
    if raw is None:
        raw = stdin()
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"step input is not valid JSON: {exc.msg} at position {exc.pos}",
            hint=f"pass a JSON object in {envvars.STEP_INPUT} or on stdin",
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInputError("step input must be a JSON object")
    # The ids the state machine passes beside the execution input (see the module docstring).
    if environ.get(envvars.BATCH_ID):
        data["batch_id"] = environ[envvars.BATCH_ID]
    if environ.get(envvars.ERROR_NAME):
        data["error"] = {"Error": environ[envvars.ERROR_NAME]}
    if environ.get(envvars.EXECUTION_STATUS):
        data["execution_status"] = environ[envvars.EXECUTION_STATUS]
    return data


def metric_fields(step_name: str, output: Mapping[str, Any]) -> dict[str, int]:
    """The counts the CloudWatch metric filters read from "step succeeded" (infra logs.tf)."""
    fields: dict[str, int] = {}
    if step_name == "RunQuestionMatrixWithEvaluation" and isinstance(output.get("failed"), int):
        fields["failed_cells"] = output["failed"]
    if isinstance(output.get("batches_failed"), int):
        fields["batches_failed"] = output["batches_failed"]
    return fields


def heartbeat_seconds(environ: Mapping[str, str]) -> float | None:
    raw = environ.get(envvars.HEARTBEAT_SECONDS)
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def run_step(
    step_name: str,
    payload: dict[str, Any],
    *,
    db: Database,
    execution_id: str | None = None,
    heartbeat: Callable[[], None] = lambda: None,
    heartbeat_seconds: float | None = None,
    services: Any = None,
    on_beat_error: Callable[[Exception], None] = lambda exc: None,
) -> dict[str, Any]:
    """Run one step in this process (the container and the local runtime both use this).

    `heartbeat` is called from a background thread every third of `heartbeat_seconds` from the
    step's start to its end, however long a provider call or a poll takes. A lost or broken
    database connection anywhere in the step is `TransientError`, which the state machine
    retries.
    """
    step = get_step(step_name)
    # A step gets the dependencies it declared: the ones handed in (the local runtime shares
    # one provider registry across steps), else built from the environment; none otherwise.
    deps = None
    if step.needs is not None:
        deps = services if services is not None else step.needs.create(os.environ)
    ctx = StepContext(db=db, execution_id=execution_id, heartbeat=heartbeat, deps=deps)
    with BackgroundHeartbeat(heartbeat, interval_for(heartbeat_seconds), on_error=on_beat_error):
        try:
            return step.invoke(ctx, payload)
        except psycopg.Error as exc:
            if is_transient(exc):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise TransientError(f"database connection lost: {first}") from exc
            raise


def main(
    argv: list[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    callbacks_factory: Callable[[], TaskCallbacks] | None = None,
) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    if args == ["--self-check"]:
        steps = load_all()
        print(json.dumps({"ok": True, "steps": sorted(steps)}))  # noqa: T201
        return 0
    if len(args) != 1:
        print("usage: python -m handlers STEP | --self-check", file=sys.stderr)  # noqa: T201
        return EXIT_BAD_INPUT
    step_name = args[0]
    token = env.get(envvars.TASK_TOKEN)
    execution_id = env.get(envvars.EXECUTION_ID)
    log = get_logger(step=step_name, execution_id=execution_id)
    callbacks: TaskCallbacks | None = None
    db: Database | None = None
    if token:
        callbacks = callbacks_factory() if callbacks_factory else _boto3_callbacks(env)
    try:
        payload = read_input(env, sys.stdin.read)
        log.bind(
            org_id=payload.get("org_id"),
            batch_id=payload.get("batch_id") or (payload.get("batch") or {}).get("batch_id"),
        )
        log.info("step started")
        settings = load_workflow_settings(env)
        if settings.database_url is None:
            raise InvalidInputError(
                f"{envvars.DATABASE_URL} is not set", hint="the task definition injects it"
            )
        step = get_step(step_name)
        # Built from this process's environment, as the step declared (provider SDKs only for
        # the matrix step).
        services = step.needs.create(env) if step.needs is not None else None

        def beat() -> None:
            if callbacks is not None and token:
                callbacks.send_task_heartbeat(taskToken=token)
            # Also a log line: a local parent process reads it as the heartbeat.
            log.info("heartbeat")

        db = Database(
            settings.database_url.get_secret_value(),
            tables=Tables.from_mapping(settings.tables),
        )
        output = run_step(
            step_name,
            payload,
            db=db,
            execution_id=execution_id,
            heartbeat=beat,
            heartbeat_seconds=heartbeat_seconds(env),
            services=services,
            on_beat_error=lambda exc: log.warning("heartbeat failed", cause=redact(str(exc))),
        )
    except Exception as exc:  # noqa: BLE001 - every failure must reach the state machine
        name = error_name(exc)
        cause = redact(
            exc.message if isinstance(exc, SensoError) else f"{type(exc).__name__}: {exc}"
        )
        counts = {"failed_cells": exc.failed_cells} if isinstance(exc, BatchFailedError) else {}
        log.error("step failed", error=name, cause=cause, **counts)
        if callbacks is not None and token:
            if db is not None and execution_id:
                # MarkBatchFailed receives only the error's name (the ASL cannot shorten a
                # cause to fit ECS overrides); it reads the cause from here.
                record_step_failure(db, execution_id, step_name, name, cause)
            callbacks.send_task_failure(taskToken=token, error=name, cause=cause[:MAX_CAUSE])
            return 0 if name != "Senso.Unexpected" else EXIT_FAILED
        print(json.dumps({"error": name, "cause": cause}), file=sys.stderr)  # noqa: T201
        return EXIT_BAD_INPUT if isinstance(exc, InvalidInputError) else EXIT_FAILED
    log.info("step succeeded", **metric_fields(step_name, output))
    if callbacks is not None and token:
        callbacks.send_task_success(taskToken=token, output=json.dumps(output))
    else:
        print(json.dumps(output))  # noqa: T201
    return 0


def _boto3_callbacks(environ: Mapping[str, str]) -> TaskCallbacks:
    import boto3

    client: TaskCallbacks = boto3.client(
        "stepfunctions",
        region_name=environ.get(envvars.AWS_REGION),
        endpoint_url=environ.get(envvars.AWS_ENDPOINT_URL),
    )
    return client
