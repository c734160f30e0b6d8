"""RollbackGuard: the automatic half of the rollback story, run by a daily schedule.

After the day's executions have had time to finish, it counts the state machine's executions in
the window; when too many failed it sets the rollout percentage to 0 in the rollout parameter
(keeping its salt and other fields), so the next dispatch sends every org back to the legacy
path. Operators still roll back by hand with `senso rollback`; the guard is the safety net for
a bad night nobody is watching. It is idempotent: at 0% it changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from handlers import envvars
from handlers.errors import InvalidInputError
from handlers.executions import TERMINAL_FAILURES
from handlers.routing import DEFAULT_SALT
from handlers.steps.base import Needs, Step, StepContext, StepModel, register


class GuardInput(StepModel):
    window_hours: int = Field(default=24, ge=1, le=168)
    max_failure_rate: float = Field(default=0.2, gt=0, le=1)
    min_executions: int = Field(default=10, ge=1)
    dry_run: bool = False


class GuardResult(StepModel):
    executions: int
    failed: int
    failure_rate: float
    rolled_back: bool
    previous_percent: float | None
    reason: str


@dataclass
class GuardServices:
    """boto3 clients (Step Functions, SSM) and the names the task environment gives."""

    stepfunctions: Any
    ssm: Any
    state_machine_arn: str
    parameter_name: str


def count_executions(services: GuardServices, since: datetime) -> tuple[int, int]:
    total = failed = 0
    paginator = services.stepfunctions.get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=services.state_machine_arn):
        for execution in page["executions"]:
            if execution["startDate"] < since:
                return total, failed  # newest first: the rest are older
            total += 1
            failed += execution["status"] in TERMINAL_FAILURES
    return total, failed


def rollback_guard(ctx: StepContext, data: GuardInput) -> GuardResult:
    services = ctx.needs(GuardServices)
    since = ctx.clock() - timedelta(hours=data.window_hours)
    total, failed = count_executions(services, since)
    rate = failed / total if total else 0.0
    current = json.loads(
        services.ssm.get_parameter(Name=services.parameter_name)["Parameter"]["Value"]
    )
    previous = float(current.get("percent", 0))
    if total < data.min_executions:
        reason = f"only {total} executions in {data.window_hours}h: too few to judge"
        return GuardResult(
            executions=total,
            failed=failed,
            failure_rate=rate,
            rolled_back=False,
            previous_percent=previous,
            reason=reason,
        )
    if rate <= data.max_failure_rate or previous == 0:
        reason = "already at 0%" if previous == 0 else f"failure rate {rate:.1%} within limit"
        return GuardResult(
            executions=total,
            failed=failed,
            failure_rate=rate,
            rolled_back=False,
            previous_percent=previous,
            reason=reason,
        )
    reason = (
        f"rollback guard: {failed}/{total} executions failed in {data.window_hours}h "
        f"({rate:.1%} > {data.max_failure_rate:.1%})"
    )
    if not data.dry_run:
        # A whole rollout change, as `senso rollout status` reads it: a rollback from the
        # previous percentage, with who, when and why (not the old change's fields kept).
        updated = {
            "kind": "rollback",
            "percent": 0,
            "previous_percent": previous,
            "salt": current.get("salt") or DEFAULT_SALT,
            "updated_by": "rollback-guard",
            "updated_at": datetime.now(UTC).isoformat(),
            "reason": reason,
            "forced": False,
        }
        services.ssm.put_parameter(
            Name=services.parameter_name, Value=json.dumps(updated), Type="String", Overwrite=True
        )
    return GuardResult(
        executions=total,
        failed=failed,
        failure_rate=rate,
        rolled_back=not data.dry_run,
        previous_percent=previous,
        reason=reason,
    )


def services_from_environment(environ: Mapping[str, str]) -> GuardServices:
    """The container's clients; names come from the task definition's environment."""
    import boto3

    arn = environ.get(envvars.STATE_MACHINE_ARN)
    parameter = environ.get(envvars.ROLLOUT_PARAMETER)
    if not arn or not parameter:
        raise InvalidInputError(
            f"{envvars.STATE_MACHINE_ARN} and {envvars.ROLLOUT_PARAMETER} must be set",
            hint="the task definition sets both (infra/terraform/ecs.tf)",
        )
    return GuardServices(boto3.client("stepfunctions"), boto3.client("ssm"), arn, parameter)


STEP = register(
    Step(
        "RollbackGuard",
        GuardInput,
        rollback_guard,
        needs=Needs("rollback guard", "handlers.steps.rollback_guard:services_from_environment"),
    )
)
