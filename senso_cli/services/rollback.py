"""`senso rollback`: every org back on Inngest in one idempotent command.

Four steps, each reported on a checklist as changed, already so, not configured, skipped or
failed: the rollout percentage to 0, the Step Functions dispatcher schedule disabled, the
Inngest-side schedule re-enabled, and (optionally) running Step Functions executions stopped.
A failing step does not stop the others, so one missing permission never leaves the rest of
the rollback undone. Running it again changes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from handlers.errors import SensoError
from senso_cli.aws.scheduler import DEFAULT_GROUP, Schedules, ScheduleState
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.migration.rollout_state import ChangeRequest, RolloutConflictError, RolloutStore
from senso_cli.settings import EnvironmentSettings

ItemStatus = Literal["changed", "unchanged", "not configured", "skipped", "failed"]
LOCAL = "not configured (local)"
_ATTEMPTS = 3


@dataclass(frozen=True)
class RollbackNames:
    """What to switch in an AWS environment; None where the environment has no such thing."""

    dispatcher_schedule: str | None = None
    inngest_schedule: str | None = None
    schedule_group: str = DEFAULT_GROUP
    state_machine_arn: str | None = None

    @classmethod
    def from_environment(cls, env: EnvironmentSettings | None) -> RollbackNames:
        if env is None:
            return cls()
        return cls(
            dispatcher_schedule=env.dispatcher_schedule_name,
            # Not rollback_schedule_name: that is the rollback guard, which must keep running.
            inngest_schedule=env.inngest_schedule_name,
            state_machine_arn=env.state_machine_arn,
        )


@dataclass(frozen=True)
class ChecklistItem:
    step: str
    status: ItemStatus
    detail: str


@dataclass(frozen=True)
class Checklist:
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(item.status == "changed" for item in self.items)

    @property
    def ok(self) -> bool:
        return all(item.status != "failed" for item in self.items)


def _percent_to_zero(store: RolloutStore, actor: str, reason: str | None) -> ChecklistItem:
    step = "rollout percentage to 0"
    for attempt in range(1, _ATTEMPTS + 1):
        current = store.load()
        if current.percent == 0 and current.recorded:
            # A no-op only when 0% is *recorded*: an initial 0% gets its who, when and why.
            return ChecklistItem(
                step, "unchanged", f"already 0% (all orgs on Inngest; {store.where})"
            )
        request = ChangeRequest(
            kind="rollback",
            percent=0,
            updated_by=actor,
            reason=reason or "senso rollback (no --reason given)",
        )
        try:
            change = store.record(request, expected_percent=current.percent)
        except RolloutConflictError:
            if attempt == _ATTEMPTS:
                raise
            continue
        if change is None:
            break
        was = f"{current.percent:g}%" + ("" if current.recorded else f" ({current.initial_note})")
        return ChecklistItem(step, "changed", f"{was} -> 0% ({store.where})")
    return ChecklistItem(step, "unchanged", f"already 0% ({store.where})")


def _schedule(
    schedules: Schedules | None,
    name: str | None,
    group: str,
    *,
    enable: bool,
) -> ChecklistItem:
    which = "Inngest schedule" if enable else "Step Functions dispatcher schedule"
    wanted: ScheduleState = "ENABLED" if enable else "DISABLED"
    step = f"{which} {wanted.lower()}"
    if schedules is None:
        return ChecklistItem(step, "not configured", LOCAL)
    if name is None:
        detail = (
            "no inngest_schedule_name in the environment: re-enable Inngest's daily-org-processor"
            " (ENABLE_SCHEDULED_PIPELINES=true) by hand"
            if enable
            else "no schedule name in the environment"
        )
        return ChecklistItem(step, "not configured", detail)
    previous = schedules.set_state(name, wanted, group=group)
    if previous == wanted:
        return ChecklistItem(step, "unchanged", f"{name} already {wanted}")
    return ChecklistItem(step, "changed", f"{name}: {previous or 'unknown'} -> {wanted}")


def _stop_running(
    sfn: StepFunctions | None, state_machine_arn: str | None, abort_running: bool
) -> ChecklistItem:
    step = "running Step Functions executions stopped"
    if not abort_running:
        return ChecklistItem(step, "skipped", "left to finish (pass --abort-running to stop them)")
    if sfn is None:
        return ChecklistItem(step, "not configured", LOCAL)
    if state_machine_arn is None:
        return ChecklistItem(step, "not configured", "no state machine in the environment")
    running = sfn.list_executions(state_machine_arn, status="RUNNING")
    for execution in running:
        sfn.stop_execution(
            execution.execution_arn,
            error="Senso.Rollback",
            cause="stopped by senso rollback: the org goes back to Inngest",
        )
    if not running:
        return ChecklistItem(step, "unchanged", "no running executions")
    return ChecklistItem(step, "changed", f"stopped {len(running)} executions")


def _attempt(step: str, action: Callable[[], ChecklistItem]) -> ChecklistItem:
    try:
        return action()
    except SensoError as exc:
        detail = exc.message + (f" ({exc.hint})" if exc.hint else "")
        return ChecklistItem(step, "failed", detail)


def rollback(
    store: RolloutStore,
    schedules: Schedules | None,
    names: RollbackNames,
    sfn: StepFunctions | None,
    abort_running: bool,
    *,
    actor: str,
    reason: str | None = None,
) -> Checklist:
    """Put every org back on Inngest; see the module docstring."""
    group = names.schedule_group
    return Checklist(
        [
            _attempt("rollout percentage to 0", lambda: _percent_to_zero(store, actor, reason)),
            _attempt(
                "Step Functions dispatcher schedule disabled",
                lambda: _schedule(schedules, names.dispatcher_schedule, group, enable=False),
            ),
            _attempt(
                "Inngest schedule enabled",
                lambda: _schedule(schedules, names.inngest_schedule, group, enable=True),
            ),
            _attempt(
                "running Step Functions executions stopped",
                lambda: _stop_running(sfn, names.state_machine_arn, abort_running),
            ),
        ]
    )
