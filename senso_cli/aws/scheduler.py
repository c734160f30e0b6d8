"""EventBridge Scheduler calls senso makes: read schedules and switch them on or off.

Rollback disables the daily trigger schedules and re-enables them afterwards. UpdateSchedule
replaces the whole schedule, so a state flip re-sends every field GetSchedule returned;
leaving one out would silently reset it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from senso_cli.aws.errors import translate_errors

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

ScheduleState = Literal["ENABLED", "DISABLED"]
DEFAULT_GROUP = "default"
# The fields UpdateSchedule accepts; everything else GetSchedule returns is read-only.
_UPDATABLE_FIELDS = (
    "ActionAfterCompletion",
    "Description",
    "EndDate",
    "FlexibleTimeWindow",
    "KmsKeyArn",
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "Target",
)


@dataclass(frozen=True)
class Schedule:
    name: str
    group: str
    arn: str
    state: str
    expression: str


class Schedules:
    """A thin wrapper over the EventBridge Scheduler client."""

    def __init__(self, client: EventBridgeSchedulerClient) -> None:
        self._client = client

    def get(self, name: str, *, group: str = DEFAULT_GROUP) -> Schedule:
        with translate_errors("scheduler", "GetSchedule"):
            raw = self._client.get_schedule(Name=name, GroupName=group)
        return Schedule(
            name=raw.get("Name", name),
            group=raw.get("GroupName", group),
            arn=raw.get("Arn", ""),
            state=raw.get("State", ""),
            expression=raw.get("ScheduleExpression", ""),
        )

    def list_names(self, *, group: str = DEFAULT_GROUP, prefix: str | None = None) -> list[str]:
        kwargs: dict[str, Any] = {"GroupName": group}
        if prefix:
            kwargs["NamePrefix"] = prefix
        names: list[str] = []
        paginator = self._client.get_paginator("list_schedules")
        with translate_errors("scheduler", "ListSchedules"):
            for page in paginator.paginate(**kwargs):
                names.extend(raw["Name"] for raw in page.get("Schedules", []) if "Name" in raw)
        return sorted(names)

    def set_state(self, name: str, state: ScheduleState, *, group: str = DEFAULT_GROUP) -> str:
        """Switch the schedule to `state` and return the state it had, for undoing later."""
        with translate_errors("scheduler", "GetSchedule"):
            current = self._client.get_schedule(Name=name, GroupName=group)
        previous = current.get("State", "")
        if previous == state:
            return previous
        request: dict[str, Any] = {
            field: current[field]  # type: ignore[literal-required]
            for field in _UPDATABLE_FIELDS
            if current.get(field) is not None
        }
        with translate_errors("scheduler", "UpdateSchedule"):
            self._client.update_schedule(Name=name, GroupName=group, State=state, **request)
        return previous

    def enable(self, name: str, *, group: str = DEFAULT_GROUP) -> str:
        return self.set_state(name, "ENABLED", group=group)

    def disable(self, name: str, *, group: str = DEFAULT_GROUP) -> str:
        return self.set_state(name, "DISABLED", group=group)
