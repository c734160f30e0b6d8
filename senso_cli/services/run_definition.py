"""Run any ASL document locally, optionally answering its Task states from an AWS Step
Functions Local MockConfigFile test case, so tests written for Step Functions Local (or
LocalStack) run unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handlers.errors import InvalidInputError
from senso_cli.sfn.errors import DefinitionError, SfnError
from senso_cli.sfn.interpreter import ExecutionResult, Interpreter
from senso_cli.sfn.mockconfig import MockConfig
from senso_cli.sfn.tasks import TaskInvoker, UnsupportedResourceInvoker

MACHINE = "local-definition"


def one_line(exc: BaseException) -> str:
    """A multi-problem message folded onto one line."""
    parts = [part.strip(" -") for part in str(exc).splitlines() if part.strip(" -")]
    return "; ".join(parts)


def _mock_invoker(path: Path, test_case: str) -> TaskInvoker:
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read mock config {path}: {exc}") from exc
    config = MockConfig(document)
    machines = [
        name
        for name, body in (document.get("StateMachines") or {}).items()
        if test_case in (body.get("TestCases") or {})
    ]
    if not machines:
        raise InvalidInputError(
            f"no test case {test_case!r} in {path}", hint="check StateMachines.*.TestCases"
        )
    return config.invoker(machines[0], test_case)


def run_document(
    definition: dict[str, Any],
    payload: Any,
    *,
    mock_config: Path | None = None,
    test_case: str | None = None,
    time_scale: float = 1.0,
) -> tuple[ExecutionResult, list[dict[str, Any]]]:
    if (mock_config is None) != (test_case is None):
        raise InvalidInputError("--mock-config and --test-case go together")
    invoker: TaskInvoker = (
        _mock_invoker(mock_config, test_case)
        if mock_config is not None and test_case is not None
        else UnsupportedResourceInvoker()
    )
    history: list[dict[str, Any]] = []
    try:
        interpreter = Interpreter(
            definition,
            invoke_task=invoker,
            time_scale=time_scale,
            on_event=lambda e: history.append(dict(e)),
        )
    except DefinitionError as exc:
        raise InvalidInputError(f"invalid state machine: {one_line(exc)}") from exc
    try:
        result = interpreter.run(
            payload,
            execution_arn=f"arn:aws:states:local:000000000000:execution:{MACHINE}:run",
            execution_name="run",
            state_machine_arn=f"arn:aws:states:local:000000000000:stateMachine:{MACHINE}",
            state_machine_name=MACHINE,
        )
    except SfnError as exc:
        raise InvalidInputError(str(exc)) from exc
    return result, history
