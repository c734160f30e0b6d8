"""Running one Task: the invocation handed to the caller's invoker, and its time limits.

The interpreter does not know how to call Lambda, ECS or anything else: every Task's resource
goes to a ``TaskInvoker`` the caller provides. The invoker runs in a worker thread so the
interpreter can enforce ``TimeoutSeconds`` and ``HeartbeatSeconds`` while it works; when a limit
passes (or the execution is aborted) the invocation's ``cancelled`` event is set and the state
fails without waiting for the invoker to notice.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from senso_cli.sfn.errors import HEARTBEAT_TIMEOUT, TASK_FAILED, TIMEOUT, StatesError
from senso_cli.sfn.scope import Cancelled, Scope


@dataclass(eq=False)
class TaskInvocation:
    """What a Task asks its invoker to do."""

    state_name: str
    resource: str
    parameters: Any  # the effective parameters, after InputPath and Parameters
    task_token: str | None  # set when the resource ends with .waitForTaskToken
    timeout_seconds: float | None
    heartbeat_seconds: float | None
    context: dict[str, Any]  # the context object ($$) as the state saw it
    cancelled: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _last_beat: float = field(default_factory=time.monotonic, init=False, repr=False)
    _finished: bool = field(default=False, init=False, repr=False)

    def heartbeat(self) -> None:
        """Tell the engine the work is alive: restarts the HeartbeatSeconds timer."""
        self._last_beat = time.monotonic()
        self._wake.set()

    def cancel(self) -> None:
        """Give up on the work (the engine calls this; invokers watch ``cancelled``)."""
        self.cancelled.set()
        self._wake.set()


TaskInvoker = Callable[[TaskInvocation], Any]


def run_task(invoke: TaskInvoker, invocation: TaskInvocation, scope: Scope) -> Any:
    """Run ``invoke(invocation)`` under the invocation's time limits and the scope's cancellation.

    Returns the task result or raises ``StatesError``: the invoker's own, ``States.Timeout``,
    ``States.HeartbeatTimeout``, or ``States.TaskFailed`` for any other exception it raised.
    Raises ``Cancelled`` when the scope is cancelled first.
    """
    outcome: list[Any] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(invoke(invocation))
        except BaseException as exc:  # noqa: BLE001 -- handed to the waiting thread, which reports it
            failure.append(exc)
        finally:
            invocation._finished = True
            invocation._wake.set()

    scope.register(invocation)
    started = invocation._last_beat = time.monotonic()
    worker = threading.Thread(target=work, name=f"sfn-task-{invocation.state_name}", daemon=True)
    worker.start()
    try:
        _wait(invocation, started)
    finally:
        scope.unregister(invocation)
    if failure:
        raise _as_states_error(failure[0])
    return outcome[0]


def _wait(invocation: TaskInvocation, started: float) -> None:
    while True:
        invocation._wake.clear()
        if invocation._finished:
            return
        if invocation.cancelled.is_set():
            raise Cancelled
        now = time.monotonic()
        deadlines: list[float] = []
        if invocation.timeout_seconds is not None:
            deadline = started + invocation.timeout_seconds
            if now >= deadline:
                invocation.cancel()
                raise StatesError(TIMEOUT, "Task timed out.")
            deadlines.append(deadline)
        if invocation.heartbeat_seconds is not None:
            deadline = invocation._last_beat + invocation.heartbeat_seconds
            if now >= deadline:
                invocation.cancel()
                raise StatesError(HEARTBEAT_TIMEOUT, "Task heartbeat timed out.")
            deadlines.append(deadline)
        invocation._wake.wait(min(deadlines) - now if deadlines else None)


def _as_states_error(exc: BaseException) -> StatesError:
    if isinstance(exc, StatesError):
        return exc
    # An invoker is expected to report failures as StatesError; anything else is reported the
    # way AWS reports an integration that broke: a task failure carrying the exception.
    cause = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return StatesError(TASK_FAILED, cause)


def describe_resource(resource: str) -> tuple[str, str]:
    """``(resourceType, resource)`` as task history events show them.

    ``arn:aws:states:::ecs:runTask.sync`` is ``("ecs", "runTask.sync")``; any other ARN (a Lambda
    function, an activity) keeps its whole ARN, with its service as the type.
    """
    parts = resource.split(":", 6)
    if len(parts) == 7 and parts[2] == "states" and parts[3] == "" and parts[4] == "":
        return parts[5], parts[6]
    if len(parts) >= 3 and parts[0] == "arn":
        return parts[2], resource
    return "unknown", resource


class UnsupportedResourceInvoker:
    """An invoker that fails every Task whose resource is not in ``supported``.

    AWS itself rejects an unknown resource when the state machine is created; at run time the
    closest behaviour is a failed task, ``States.TaskFailed`` with the resource in the cause,
    which is also what Step Functions emulators (Step Functions Local, LocalStack, Floci) report
    for integrations they do not implement. Being a TaskFailed, a catcher can handle it.
    """

    def __init__(self, supported: dict[str, TaskInvoker] | None = None) -> None:
        self._supported = dict(supported or {})

    def __call__(self, invocation: TaskInvocation) -> Any:
        invoker = self._supported.get(invocation.resource)
        if invoker is None:
            raise StatesError(
                TASK_FAILED,
                f"Unsupported resource: {invocation.resource} (state {invocation.state_name!r})",
            )
        return invoker(invocation)
