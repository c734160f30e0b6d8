"""The dispatcher state machine on the local runtime.

`asl/dispatcher-workflow.json` starts one org-evaluation execution per listed org through
`states:startExecution.sync:2`, at most `max_concurrency` at once (its distributed Map's
MaxConcurrencyPath). Locally the Map's iterations are threads and each starts its org's
execution on the org runtime (`ChildExecutionInvoker`), so the same document bounds the fleet
on a laptop as on AWS.

`LocalDispatcher` is `handlers.dispatching.Dispatcher` on this runtime (what `senso
trigger-batch` hands its orgs to), and `run_dispatchers` runs the dispatcher executions it
started to their end in this process, reporting how many org executions have finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from senso_cli.local.child_executions import START_EXECUTION_RESOURCES, ChildExecutionInvoker
from senso_cli.local.definition import asl_path, load_definition
from senso_cli.local.runtime import LocalRuntime
from senso_cli.local.store import effective_status
from senso_cli.settings import Settings

DISPATCHER_FILE = "dispatcher-workflow.json"
DISPATCHER_NAME = "dispatcher-workflow"
ORG_MACHINE_PLACEHOLDER = "${org_state_machine_arn}"
INTERRUPTED = "Senso.Interrupted"


def dispatcher_runtime(
    db: Database,
    settings: Settings,
    org_runtime: LocalRuntime,
    *,
    definition: dict[str, Any] | None = None,
    time_scale: float | None = None,
    org_state_machine_arn: str | None = None,
    stopped: threading.Event | None = None,
) -> LocalRuntime:
    """A runtime for the dispatcher whose startExecution Tasks run on `org_runtime`.

    `org_state_machine_arn` is the org machine's ARN in a deployed definition (Terraform fills
    the placeholder), so that a definition read back from AWS runs here unchanged. Once
    `stopped` is set, no further org execution starts (its Map iteration fails instead).
    """
    accepted = {ORG_MACHINE_PLACEHOLDER, org_runtime.state_machine_arn}
    if org_state_machine_arn:
        accepted.add(org_state_machine_arn)

    def runtime_for(arn: str) -> LocalRuntime:
        if stopped is not None and stopped.is_set():
            raise InvalidInputError("the dispatch was interrupted")
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


class LocalDispatcher:
    """`handlers.dispatching.Dispatcher` over the local runtime: org executions are looked up
    in the execution store, dispatcher executions start on a `dispatcher_runtime`."""

    def __init__(self, org_runtime: LocalRuntime, *, time_scale: float | None = None) -> None:
        self.org_runtime = org_runtime
        self.stopped = threading.Event()  # set on Ctrl-C: no further org execution starts
        self.runtime = dispatcher_runtime(
            org_runtime.db,
            org_runtime.settings,
            org_runtime,
            time_scale=time_scale,
            stopped=self.stopped,
        )
        self.created: list[str] = []  # dispatcher executions this process has to run
        self.joined: list[str] = []  # started by another live process: only waited for

    def org_execution_arn(self, name: str) -> str:
        return self.org_runtime.arn_for(name)

    def find(self, name: str) -> str | None:
        record = self.org_runtime.store.find(self.org_execution_arn(name))
        return None if record is None else effective_status(record)

    def start_dispatch(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
        started = self.runtime.start(input, name=name)
        if started.started:
            self.created.append(started.execution_arn)
        elif self.status(started.execution_arn) == "RUNNING":
            self.joined.append(started.execution_arn)  # another live process runs this plan
        return started.execution_arn, started.started

    def status(self, execution_arn: str) -> str:
        return effective_status(self.runtime.store.get(execution_arn))


def run_dispatchers(
    dispatcher: LocalDispatcher,
    org_arns: list[str],
    *,
    on_finished: Callable[[int, int], None] | None = None,
    interval: float = 0.25,
) -> None:
    """Run the dispatcher executions `dispatcher` created to their end (one thread each, as
    they share the concurrency), wait for the ones it joined, and report how many of
    `org_arns` have ended, until all have."""
    failures: list[BaseException] = []

    def run(arn: str) -> None:
        try:
            dispatcher.runtime.run(arn)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failures.append(exc)

    threads = [
        threading.Thread(target=run, args=(arn,), name=f"dispatcher-{arn[-8:]}", daemon=True)
        for arn in dispatcher.created
    ]
    for thread in threads:
        thread.start()
    store = dispatcher.runtime.store

    def joined_running() -> bool:
        records = store.many(dispatcher.joined).values()
        return any(effective_status(record) == "RUNNING" for record in records)

    try:
        while True:
            alive = any(thread.is_alive() for thread in threads) or joined_running()
            if on_finished is not None:
                records = store.many(org_arns).values()
                ended = sum(1 for record in records if record["status"] != "RUNNING")
                on_finished(ended, len(org_arns))
            if not alive:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        # The runs live in this process's threads and die with it: stop them (ABORTED) so the
        # store says so at once; starting the batch again resumes each org's batch.
        dispatcher.stopped.set()
        for arn in [*org_arns, *dispatcher.created]:
            store.finish(arn, "ABORTED", None, INTERRUPTED, "Ctrl-C on senso trigger-batch")
        raise
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
