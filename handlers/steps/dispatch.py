"""Dispatch: the daily schedule's step. Starts one execution per org scheduled for today.

EventBridge Scheduler runs `python -m handlers Dispatch` in the step-handler container at 02:00
UTC. The step selects the orgs whose schedule holds today's weekday (UTC, Monday = 0, the old
scheduler's convention), asks the router where each one runs, and starts a Step Functions
execution for every org routed to `sfn` through `handlers.executions`, whose deterministic
names make the step idempotent per day: a re-run (a scheduler retry, an operator) starts only
what is missing. Orgs routed to `inngest` are left to the legacy scheduler and only counted.
With `{"shadow": true}` every scheduled org gets a shadow run instead (senso's shadow tables
only: no product row, no credit), for `senso compare` against what the old system wrote.

In the container the dependencies come from the task's environment: the state machine ARN
(SENSO_STATE_MACHINE_ARN) and, when SENSO_ROLLOUT_PARAMETER names an SSM parameter, the
rollout percentage and salt in it; without that parameter every org goes to Step Functions.
Tests and the CLI inject `DispatchServices` through the step context instead.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import BaseModel

from handlers import envvars
from handlers.dispatching import (
    DEFAULT_MAX_CONCURRENCY,
    DispatchedOrg,
    Dispatcher,
    dispatch_through_dispatcher,
    reason_of,
)
from handlers.errors import InvalidInputError, SensoError, TransientError
from handlers.executions import ExecutionApi, StartOutcome, start_org_execution
from handlers.logs import get_logger
from handlers.pacing import DEFAULT_STARTS_PER_SECOND, RateLimiter, starts_per_second
from handlers.repositories.orgs import OrgRepository
from handlers.routing import PercentRouter, Router, all_to_step_functions
from handlers.steps.base import Needs, Step, StepContext, StepModel, register

# Task environment names (set by infra/terraform/ecs.tf). They belong in handlers.envvars with
# the other names; they live here until that module's owner moves them.
STATE_MACHINE_ARN_VAR = "SENSO_STATE_MACHINE_ARN"
ROLLOUT_PARAMETER_VAR = "SENSO_ROLLOUT_PARAMETER"
DISPATCHER_ARN_VAR = "SENSO_DISPATCHER_ARN"
DISPATCH_MAX_CONCURRENCY_VAR = "SENSO_DISPATCH_MAX_CONCURRENCY"
TRIGGERED_BY = "automatic_scheduler"
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


class DispatchInput(StepModel):
    """Optional: the schedule sends nothing; operators may replay a day or look first."""

    day: date | None = None
    dry_run: bool = False
    # Shadow runs of the day's orgs: senso's shadow tables only, no product row, no credit.
    shadow: bool = False


class DispatchResult(BaseModel):
    day: date
    day_of_week: int
    selected: int
    counts: dict[str, int]
    orgs: list[DispatchedOrg]
    dispatcher_executions: list[str] = []


@dataclass
class DispatchServices:
    """What Dispatch needs besides the database; the container builds it from its environment.

    With a `dispatcher`, the orgs to start go to one dispatcher execution, which starts them
    at most `max_concurrency` at a time; without one, each org is started here at once.
    """

    executions: ExecutionApi
    router: Router = all_to_step_functions
    dispatcher: Dispatcher | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY


def dispatch_orgs(
    org_ids: list[str],
    day: date,
    services: DispatchServices,
    *,
    dry_run: bool = False,
    shadow: bool = False,
    on_error: Callable[[str, SensoError | Exception], None] | None = None,
) -> list[DispatchedOrg]:
    """Route and start each org; one org's failure is recorded and the rest still start."""
    results: list[DispatchedOrg] = []
    for org_id in org_ids:
        target = services.router(org_id)
        if target != "sfn":
            results.append(DispatchedOrg(org_id=org_id, target=target, outcome="routed_to_inngest"))
            continue
        if dry_run:
            results.append(DispatchedOrg(org_id=org_id, target=target, outcome="dry_run"))
            continue
        try:
            started: StartOutcome = start_org_execution(
                services.executions, org_id, day, triggered_by=TRIGGERED_BY, shadow=shadow
            )
        except Exception as exc:  # noqa: BLE001 - one org must not stop the day's dispatch
            if on_error is not None:
                on_error(org_id, exc)
            results.append(
                DispatchedOrg(org_id=org_id, target=target, outcome="failed", reason=reason_of(exc))
            )
            continue
        results.append(
            DispatchedOrg(
                org_id=org_id,
                target=target,
                outcome=started.outcome,
                execution_arn=started.execution_arn,
            )
        )
    return results


def dispatch(ctx: StepContext, data: DispatchInput) -> DispatchResult:
    day = data.day or ctx.today()
    services = ctx.needs(DispatchServices)
    org_ids = [str(org_id) for org_id in OrgRepository(ctx.db).scheduled_on(day.weekday())]
    log = get_logger(step="Dispatch", execution_id=ctx.execution_id)

    def on_error(org_id: str, exc: Exception) -> None:
        log.error("could not start the org's execution", org_id=org_id, error=str(exc))

    if data.shadow:
        # A shadow serves nobody (senso's shadow tables only): every scheduled org gets one,
        # whichever side the rollout has it served by.
        services = replace(services, router=all_to_step_functions)
    dispatched: list[str] = []
    if services.dispatcher is not None and not data.dry_run:
        orgs, dispatched = dispatch_through_dispatcher(
            org_ids,
            day,
            services.dispatcher,
            max_concurrency=services.max_concurrency,
            triggered_by=TRIGGERED_BY,
            shadow=data.shadow,
            router=services.router,
            on_error=on_error,
        )
    else:
        orgs = dispatch_orgs(
            org_ids, day, services, dry_run=data.dry_run, shadow=data.shadow, on_error=on_error
        )
    counts: dict[str, int] = {}
    for org in orgs:
        counts[org.outcome] = counts.get(org.outcome, 0) + 1
    result = DispatchResult(
        day=day,
        day_of_week=day.weekday(),
        selected=len(org_ids),
        counts=counts,
        orgs=orgs,
        dispatcher_executions=dispatched,
    )
    log.info("dispatch finished", day=day.isoformat(), selected=len(org_ids), **counts)
    if counts.get("failed"):
        # A non-zero exit makes the failure visible; re-running starts only what is missing.
        raise TransientError(
            f"{counts['failed']} of {len(org_ids)} orgs could not be started for {day}",
            hint="run Dispatch again (it is idempotent per day) or `senso trigger-batch`",
        )
    return result


# -- the container's dependencies: plain boto3 (the handlers never import senso_cli) ----------


class Boto3Executions:
    """ExecutionApi over a boto3 Step Functions client, with backoff on throttling."""

    def __init__(
        self,
        client: Any,
        state_machine_arn: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 6,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._client = client
        self._arn = state_machine_arn
        self._sleep = sleep
        self._max_attempts = max_attempts
        # Each start soon asks Fargate for tasks: pace starts under its RunTask rate.
        self._limiter = limiter or RateLimiter(DEFAULT_STARTS_PER_SECOND, sleep=sleep)
        self._rng = random.Random()  # noqa: S311 - jitter, not secrecy

    def _call(self, call: Callable[[], Any]) -> Any:
        from botocore.exceptions import ClientError

        for attempt in range(self._max_attempts):
            try:
                return call()
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", ""))
                if code not in THROTTLING_CODES or attempt == self._max_attempts - 1:
                    raise
                self._sleep(self._rng.uniform(0, min(10.0, 0.2 * 2**attempt)))
        raise AssertionError("unreachable")

    def start(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        from botocore.exceptions import ClientError

        self._limiter.acquire()
        try:
            response = self._call(
                lambda: self._client.start_execution(
                    stateMachineArn=self._arn, name=name, input=json.dumps(input)
                )
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            return execution_arn_for(self._arn, name), False
        return response["executionArn"], True

    def status(self, execution_arn: str) -> str:
        response = self._call(lambda: self._client.describe_execution(executionArn=execution_arn))
        return str(response["status"])


class Boto3Dispatcher(Boto3Executions):
    """`Dispatcher` over boto3: looks at the org machine's executions, starts the dispatcher."""

    def __init__(
        self, client: Any, state_machine_arn: str, dispatcher_arn: str, **options: Any
    ) -> None:
        super().__init__(client, state_machine_arn, **options)
        self._dispatcher_arn = dispatcher_arn

    def org_execution_arn(self, name: str) -> str:
        return execution_arn_for(self._arn, name)

    def find(self, name: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            return self.status(self.org_execution_arn(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise

    def start_dispatch(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        from botocore.exceptions import ClientError

        try:
            response = self._call(
                lambda: self._client.start_execution(
                    stateMachineArn=self._dispatcher_arn, name=name, input=json.dumps(input)
                )
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            return execution_arn_for(self._dispatcher_arn, name), False
        return str(response["executionArn"]), True


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    head, sep, machine = state_machine_arn.partition(":stateMachine:")
    if not sep:
        raise InvalidInputError(f"not a state machine ARN: {state_machine_arn}")
    return f"{head}:execution:{machine.split(':')[0]}:{name}"


def services_from_environment(environ: Mapping[str, str]) -> DispatchServices:
    """The container's wiring: boto3 clients from the task role, names from the environment."""
    import boto3

    state_machine_arn = environ.get(STATE_MACHINE_ARN_VAR)
    if not state_machine_arn:
        raise InvalidInputError(
            f"{STATE_MACHINE_ARN_VAR} is not set", hint="the task definition sets it (ecs.tf)"
        )
    # Like the contract's callbacks: ECS sets AWS_REGION; tests point AWS_ENDPOINT_URL at moto.
    where = {
        "region_name": environ.get(envvars.AWS_REGION),
        "endpoint_url": environ.get(envvars.AWS_ENDPOINT_URL),
    }
    sfn = boto3.client("stepfunctions", **where)  # type: ignore[call-overload]
    router: Router = all_to_step_functions
    parameter = environ.get(ROLLOUT_PARAMETER_VAR)
    if parameter:
        ssm = boto3.client("ssm", **where)  # type: ignore[call-overload]
        value = ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        router = PercentRouter.from_rollout_json(value, source=f"SSM parameter {parameter}")
    try:
        rate = starts_per_second(environ)
    except ValueError as exc:
        hint = "see dispatch_starts_per_second in Terraform"
        raise InvalidInputError(str(exc), hint=hint) from exc
    dispatcher_arn = environ.get(DISPATCHER_ARN_VAR)
    if dispatcher_arn:
        limit = environ.get(DISPATCH_MAX_CONCURRENCY_VAR) or str(DEFAULT_MAX_CONCURRENCY)
        if not limit.isdigit() or int(limit) < 1:
            raise InvalidInputError(f"{DISPATCH_MAX_CONCURRENCY_VAR} must be a whole number >= 1")
        dispatcher = Boto3Dispatcher(
            sfn, state_machine_arn, dispatcher_arn, limiter=RateLimiter(rate)
        )
        return DispatchServices(
            executions=dispatcher,
            router=router,
            dispatcher=dispatcher,
            max_concurrency=int(limit),
        )
    executions = Boto3Executions(sfn, state_machine_arn, limiter=RateLimiter(rate))
    return DispatchServices(executions=executions, router=router)


STEP = register(
    Step(
        "Dispatch",
        DispatchInput,
        dispatch,
        needs=Needs("dispatcher", "handlers.steps.dispatch:services_from_environment"),
    )
)
