"""The dispatcher state machine on the local runtime.

`asl/dispatcher-workflow.json` starts one org-evaluation execution per listed org through
`states:startExecution.sync:2`, at most `max_concurrency` at once (its distributed Map's
MaxConcurrencyPath). Locally the Map's iterations are threads and each starts its org's
execution on the org runtime (`ChildExecutionInvoker`), so the same document bounds the fleet
on a laptop as on AWS.
"""

from __future__ import annotations

from typing import Any

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.settings import Settings
from senso_cli.local.child_executions import START_EXECUTION_RESOURCES, ChildExecutionInvoker
from senso_cli.local.definition import asl_path, load_definition
from senso_cli.local.runtime import LocalRuntime

DISPATCHER_FILE = "dispatcher-workflow.json"
DISPATCHER_NAME = "dispatcher-workflow"
ORG_MACHINE_PLACEHOLDER = "${org_state_machine_arn}"


def dispatcher_runtime(
    db: Database,
    settings: Settings,
    org_runtime: LocalRuntime,
    *,
    definition: dict[str, Any] | None = None,
    time_scale: float | None = None,
    org_state_machine_arn: str | None = None,
) -> LocalRuntime:
    """A runtime for the dispatcher whose startExecution Tasks run on `org_runtime`.

    `org_state_machine_arn` is the org machine's ARN in a deployed definition (Terraform fills
    the placeholder), so that a definition read back from AWS runs here unchanged.
    """
    accepted = {ORG_MACHINE_PLACEHOLDER, org_runtime.state_machine_arn}
    if org_state_machine_arn:
        accepted.add(org_state_machine_arn)

    def runtime_for(arn: str) -> LocalRuntime:
        if arn not in accepted:
            raise InvalidInputError(f"the local dispatcher cannot start executions of {arn}")
        return org_runtime

    invoker = ChildExecutionInvoker(runtime_for)
    return LocalRuntime(
        db,
        settings,
        definition=definition or load_definition(asl_path(DISPATCHER_FILE)),
        time_scale=time_scale,
        machine_name=DISPATCHER_NAME,
        resource_invokers=dict.fromkeys(START_EXECUTION_RESOURCES, invoker),
    )
