"""Hand many orgs to the dispatcher state machine, which starts their executions at most
`max_concurrency` at a time (asl/dispatcher-workflow.json).

One definition for every starter of many orgs: the daily `Dispatch` step (plain boto3 in the
container), `senso trigger-batch` on AWS (the CLI's Step Functions wrapper) and on the local
runtime (`senso_cli.local.dispatcher`). Each supplies a `Dispatcher`; this module decides
which orgs need a start (the attempt policy of `handlers.executions`, so a re-run starts only
what is missing), names the dispatcher executions and builds their input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from handlers.errors import InvalidInputError, SensoError
from handlers.executions import (
    DISPATCHER_MAX_ORGS,
    RUNNING,
    dispatcher_input,
    plan_org_execution,
)
from handlers.routing import Router, all_to_step_functions

DEFAULT_MAX_CONCURRENCY = 50  # Terraform's var.dispatch_max_concurrency default

OrgOutcome = Literal[
    "started", "already_running", "already_succeeded", "routed_to_inngest", "failed", "dry_run"
]


class DispatchedOrg(BaseModel):
    org_id: str
    target: Literal["sfn", "inngest"]
    outcome: OrgOutcome
    execution_arn: str | None = None
    reason: str | None = None


class Dispatcher(Protocol):
    """The dispatcher state machine, and a look at the org executions it would start."""

    def find(self, name: str) -> str | None:
        """Status of the org execution `name`, None when no execution has that name."""
        ...

    def org_execution_arn(self, name: str) -> str: ...

    def start_dispatch(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        """Start a dispatcher execution: (its ARN, True), or (the ARN, False) when the name
        is taken."""
        ...

    def status(self, execution_arn: str) -> str:
        """The status of an existing execution (a dispatcher's, here)."""
        ...


MAX_DISPATCH_ATTEMPTS = 20


def start_dispatcher(dispatcher: Dispatcher, name: str, document: dict[str, Any]) -> str:
    """Start the dispatcher execution for a plan, or join the one already running it.

    Named by its content, a plan started twice (a scheduler retry, a doubled trigger-batch)
    finds its dispatcher running. One that has ended while the plan still has orgs to start
    (their starts failed, its process died) is not the answer: the plan starts again under
    the next name (`-r2`, `-r3`, ...), or the day's orgs would never start.
    """
    for attempt in range(1, MAX_DISPATCH_ATTEMPTS + 1):
        chosen = name if attempt == 1 else f"{name}-r{attempt}"
        arn, started = dispatcher.start_dispatch(chosen, document)
        if started or dispatcher.status(arn) == RUNNING:
            return arn
    raise InvalidInputError(
        f"the plan {name} already ended {MAX_DISPATCH_ATTEMPTS} times without starting its orgs",
        hint="look at the dispatcher executions' failures (`senso status NAME`)",
    )


def reason_of(exc: BaseException) -> str:
    return exc.message if isinstance(exc, SensoError) else f"{type(exc).__name__}: {exc}"


def dispatcher_name(day: date, execution_names: list[str]) -> str:
    """Named by its content: a retry of the same plan finds the dispatcher already started."""
    digest = hashlib.sha256("\n".join(execution_names).encode()).hexdigest()[:16]
    return f"dispatch-{day:%Y%m%d}-{digest}"


def dispatch_through_dispatcher(
    org_ids: list[str],
    day: date,
    dispatcher: Dispatcher,
    *,
    max_concurrency: int,
    triggered_by: str,
    shadow: bool = False,
    router: Router = all_to_step_functions,
    on_error: Callable[[str, SensoError | Exception], None] | None = None,
    on_planned: Callable[[int, int], None] | None = None,
) -> tuple[list[DispatchedOrg], list[str]]:
    """Plan each org's execution name and hand the ones to start to the dispatcher.

    Returns the orgs (outcome "started" means handed to a dispatcher execution, which starts
    it when a slot frees), in the order given, and the dispatcher executions started. More
    orgs than one input can carry go to several dispatcher executions that share the
    concurrency between them. `on_planned(done, total)` reports the lookups' progress.
    """
    results: list[DispatchedOrg] = []
    to_start: list[tuple[str, str]] = []
    for done, org_id in enumerate(org_ids, start=1):
        target = router(org_id)
        if target != "sfn":
            results.append(DispatchedOrg(org_id=org_id, target=target, outcome="routed_to_inngest"))
            continue
        try:
            plan = plan_org_execution(dispatcher.find, org_id, day, shadow=shadow)
        except Exception as exc:  # noqa: BLE001 - one org must not stop the others
            if on_error is not None:
                on_error(org_id, exc)
            results.append(
                DispatchedOrg(org_id=org_id, target=target, outcome="failed", reason=reason_of(exc))
            )
            continue
        finally:
            if on_planned is not None:
                on_planned(done, len(org_ids))
        outcome: OrgOutcome = "started" if plan.outcome == "start" else plan.outcome
        if plan.outcome == "start":
            to_start.append((org_id, plan.name))
        results.append(
            DispatchedOrg(
                org_id=org_id,
                target=target,
                outcome=outcome,
                execution_arn=dispatcher.org_execution_arn(plan.name),
            )
        )
    chunks = [
        to_start[i : i + DISPATCHER_MAX_ORGS] for i in range(0, len(to_start), DISPATCHER_MAX_ORGS)
    ]
    share = max(1, max_concurrency // max(1, len(chunks)))
    started: list[str] = []
    for chunk in chunks:
        name = dispatcher_name(day, [execution for _, execution in chunk])
        document = dispatcher_input(
            chunk, day, triggered_by=triggered_by, max_concurrency=share, shadow=shadow
        )
        try:
            started.append(start_dispatcher(dispatcher, name, document))
        except Exception as exc:  # noqa: BLE001 - reported per org, like a failed start
            failed = {org_id for org_id, _ in chunk}
            for index, org in enumerate(results):
                if org.org_id in failed:
                    if on_error is not None:
                        on_error(org.org_id, exc)
                    results[index] = org.model_copy(
                        update={"outcome": "failed", "reason": f"dispatcher: {reason_of(exc)}"}
                    )
    return results, started
