"""The ECS calls senso makes: find, inspect and stop the evaluation tasks of a cluster.

`run_task` is a pass-through because the test ECS runner builds its whole request itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from senso_cli.aws.errors import translate_errors

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.literals import DesiredStatusType
    from mypy_boto3_ecs.type_defs import RunTaskResponseTypeDef, TaskTypeDef

# DescribeTasks accepts at most this many ARNs per call.
_DESCRIBE_BATCH = 100


class Ecs:
    """A thin wrapper over the ECS client for one purpose: the workflow's tasks."""

    def __init__(self, client: ECSClient) -> None:
        self._client = client

    def list_tasks(
        self,
        cluster: str,
        *,
        family: str | None = None,
        started_by: str | None = None,
        desired_status: DesiredStatusType = "RUNNING",
    ) -> list[str]:
        """Task ARNs in `cluster`, all pages."""
        kwargs: dict[str, Any] = {"cluster": cluster, "desiredStatus": desired_status}
        if family is not None:
            kwargs["family"] = family
        if started_by is not None:
            kwargs["startedBy"] = started_by
        arns: list[str] = []
        paginator = self._client.get_paginator("list_tasks")
        with translate_errors("ecs", "ListTasks"):
            for page in paginator.paginate(**kwargs):
                arns.extend(page.get("taskArns", []))
        return arns

    def describe_tasks(self, cluster: str, task_arns: Sequence[str]) -> list[TaskTypeDef]:
        """The tasks' descriptions; ARNs ECS no longer knows are silently absent."""
        tasks: list[TaskTypeDef] = []
        with translate_errors("ecs", "DescribeTasks"):
            for offset in range(0, len(task_arns), _DESCRIBE_BATCH):
                batch = list(task_arns[offset : offset + _DESCRIBE_BATCH])
                response = self._client.describe_tasks(cluster=cluster, tasks=batch)
                tasks.extend(response.get("tasks", []))
        return tasks

    def stop_task(self, cluster: str, task_arn: str, *, reason: str) -> TaskTypeDef:
        # The reason shows in the console and in the task's stoppedReason; always give one.
        with translate_errors("ecs", "StopTask"):
            return self._client.stop_task(cluster=cluster, task=task_arn, reason=reason)["task"]

    def run_task(self, **request: Any) -> RunTaskResponseTypeDef:
        """RunTask exactly as given; the caller checks `failures` (ECS reports them in a 200)."""
        with translate_errors("ecs", "RunTask"):
            return self._client.run_task(**request)
