"""A faithful Amazon States Language (JSONPath) interpreter in pure Python.

``Interpreter`` runs a state machine definition; every Task goes to a caller-provided
``TaskInvoker``. Module map:

- ``interpreter``: the public entry point (run, abort, machine timeout, ExecutionResult);
- ``states`` and ``fanout``: the executor (every state type; Parallel and Map on threads);
- ``tasks``: one Task under its time limits, ``TaskInvocation``, ``UnsupportedResourceInvoker``;
- ``paths``, ``payload``: JSONPath and InputPath/Parameters/ResultSelector/ResultPath/OutputPath;
- ``intrinsics`` (parser, evaluator) and ``functions`` (the States.* functions);
- ``choice``: Choice rules; ``retry``: Retry/Catch matching and backoff;
- ``validate``: definition checks and ``reachable_states``;
- ``events``: execution history; ``scope``: cancellation; ``errors``: error names, exceptions;
- ``mockconfig``: Step Functions Local mocks; ``ecs``: the ECS runTask container contract.
"""

from __future__ import annotations

from senso_cli.sfn.ecs import ecs_container_contract
from senso_cli.sfn.errors import DefinitionError, MockConfigError, SfnError, StatesError
from senso_cli.sfn.events import HistoryEvent
from senso_cli.sfn.interpreter import ExecutionResult, Interpreter
from senso_cli.sfn.mockconfig import MockConfig, MockedTaskInvoker
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker, UnsupportedResourceInvoker
from senso_cli.sfn.validate import reachable_states

__all__ = [
    "DefinitionError",
    "ExecutionResult",
    "HistoryEvent",
    "Interpreter",
    "MockConfig",
    "MockConfigError",
    "MockedTaskInvoker",
    "SfnError",
    "StatesError",
    "TaskInvocation",
    "TaskInvoker",
    "UnsupportedResourceInvoker",
    "ecs_container_contract",
    "reachable_states",
]
