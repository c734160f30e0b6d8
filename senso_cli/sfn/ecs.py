"""What an ECS ``runTask`` Task asks the container to do: its command and environment.

The workflow's steps are Task states with ``arn:aws:states:::ecs:runTask`` (plain, ``.sync`` or
``.waitForTaskToken``) whose Parameters override the container's command and environment. A
local invoker runs the step handler with exactly those, so it reads them the way ECS would::

    {"Cluster": ..., "TaskDefinition": ...,
     "Overrides": {"ContainerOverrides": [{"Name": "step",
                                           "Command": ["python", "-m", "handlers", "score"],
                                           "Environment": [{"Name": "ORG", "Value": "acme"}]}]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ECS_RUN_TASK_RESOURCES = frozenset(
    {
        "arn:aws:states:::ecs:runTask",
        "arn:aws:states:::ecs:runTask.sync",
        "arn:aws:states:::ecs:runTask.waitForTaskToken",
    }
)


def is_ecs_run_task(resource: str) -> bool:
    """Whether ``resource`` is the ECS runTask integration in any of its three patterns."""
    return resource in ECS_RUN_TASK_RESOURCES


def ecs_container_contract(parameters: Any) -> tuple[list[str], dict[str, str]]:
    """``(command, environment)`` of the first container override of an ECS runTask call.

    Missing overrides mean "the task definition's defaults": an empty command and environment.
    Raises ``ValueError`` when the block is not shaped like ECS's RunTask request.
    """
    if not isinstance(parameters, Mapping):
        raise ValueError("ECS runTask parameters must be an object")
    overrides = parameters.get("Overrides", {})
    if not isinstance(overrides, Mapping):
        raise ValueError("Overrides must be an object")
    containers = overrides.get("ContainerOverrides", [])
    if not isinstance(containers, list) or not all(isinstance(c, Mapping) for c in containers):
        raise ValueError("Overrides.ContainerOverrides must be an array of objects")
    if not containers:
        return [], {}
    container = containers[0]
    command = container.get("Command", [])
    if not isinstance(command, list) or not all(isinstance(part, str) for part in command):
        raise ValueError("ContainerOverrides[0].Command must be an array of strings")
    environment: dict[str, str] = {}
    pairs = container.get("Environment", [])
    if not isinstance(pairs, list):
        raise ValueError("ContainerOverrides[0].Environment must be an array")
    for index, pair in enumerate(pairs):
        if (
            not isinstance(pair, Mapping)
            or not isinstance(pair.get("Name"), str)
            or not isinstance(pair.get("Value"), str)
        ):
            raise ValueError(
                f"ContainerOverrides[0].Environment[{index}] must be {{Name, Value}} strings"
            )
        environment[pair["Name"]] = pair["Value"]
    return list(command), environment
