"""Mocked task responses in AWS Step Functions Local's MockConfigFile format.

::

    {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
     "MockedResponses": {"<response>": {"0": {"Throw": {"Error": "E", "Cause": "c"}},
                                        "1-2": {"Return": {"ok": true}}}}}

A response maps invocation numbers of that state (0 is the first call, ``"1-2"`` the second and
third, counting retries and Map iterations) to a ``Return`` (the task result) or a ``Throw``
(the task fails with that error and cause). ``MockConfig.invoker`` builds a ``TaskInvoker``
that answers one test case from it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from senso_cli.sfn.errors import MockConfigError, StatesError
from senso_cli.sfn.tasks import TaskInvocation, TaskInvoker


def _parse_range(key: str) -> tuple[int, int]:
    first, _, last = key.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise MockConfigError(f"mocked response key {key!r} is not 'N' or 'N-M'") from None
    if low < 0 or high < low:
        raise MockConfigError(f"mocked response key {key!r} is not a valid range")
    return low, high


class MockConfig:
    def __init__(self, document: Mapping[str, Any]) -> None:
        machines = document.get("StateMachines", {})
        responses = document.get("MockedResponses", {})
        if not isinstance(machines, Mapping) or not isinstance(responses, Mapping):
            raise MockConfigError("StateMachines and MockedResponses must be objects")
        self._cases: dict[str, dict[str, dict[str, str]]] = {}
        for machine, body in machines.items():
            cases = body.get("TestCases", {}) if isinstance(body, Mapping) else None
            if not isinstance(cases, Mapping):
                raise MockConfigError(f"StateMachines.{machine}.TestCases must be an object")
            self._cases[machine] = {name: dict(states) for name, states in cases.items()}
        self._responses: dict[str, list[tuple[int, int, Mapping[str, Any]]]] = {}
        for name, table in responses.items():
            if not isinstance(table, Mapping):
                raise MockConfigError(f"MockedResponses.{name} must be an object")
            self._responses[name] = [
                (*_parse_range(key), _check_answer(name, key, answer))
                for key, answer in table.items()
            ]
        for machine, cases in self._cases.items():
            for case, states in cases.items():
                for state, response in states.items():
                    if response not in self._responses:
                        raise MockConfigError(
                            f"{machine}/{case}: state {state!r} uses unknown response {response!r}"
                        )

    @classmethod
    def load(cls, path: str | Path) -> MockConfig:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise MockConfigError(f"cannot read mock config {path}: {exc}") from None
        if not isinstance(document, Mapping):
            raise MockConfigError(f"{path}: the mock config must be a JSON object")
        return cls(document)

    def test_cases(self, state_machine: str) -> list[str]:
        return list(self._cases.get(state_machine, {}))

    def invoker(
        self, state_machine: str, test_case: str, *, fallback: TaskInvoker | None = None
    ) -> MockedTaskInvoker:
        """A task invoker for one test case; unmocked states go to ``fallback`` if given."""
        states = self._cases.get(state_machine, {}).get(test_case)
        if states is None:
            raise MockConfigError(f"no test case {test_case!r} for state machine {state_machine!r}")
        tables = {state: self._responses[response] for state, response in states.items()}
        return MockedTaskInvoker(tables, fallback)


def _check_answer(name: str, key: str, answer: Any) -> Mapping[str, Any]:
    if (
        not isinstance(answer, Mapping)
        or len(answer) != 1
        or next(iter(answer))
        not in (
            "Return",
            "Throw",
        )
    ):
        raise MockConfigError(f"MockedResponses.{name}.{key} must be {{Return}} or {{Throw}}")
    throw = answer.get("Throw")
    if throw is not None and (not isinstance(throw, Mapping) or "Error" not in throw):
        raise MockConfigError(f"MockedResponses.{name}.{key}.Throw needs an Error")
    return answer


class MockedTaskInvoker:
    """Answers Task states from mocked responses, counting each state's invocations."""

    def __init__(
        self,
        tables: dict[str, list[tuple[int, int, Mapping[str, Any]]]],
        fallback: TaskInvoker | None,
    ) -> None:
        self._tables = tables
        self._fallback = fallback
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}

    def __call__(self, invocation: TaskInvocation) -> Any:
        state = invocation.state_name
        table = self._tables.get(state)
        if table is None:
            if self._fallback is None:
                raise MockConfigError(f"state {state!r} has no mocked response in this test case")
            return self._fallback(invocation)
        with self._lock:
            number = self.calls.get(state, 0)
            self.calls[state] = number + 1
        for low, high, answer in table:
            if low <= number <= high:
                if "Throw" in answer:
                    throw = answer["Throw"]
                    raise StatesError(str(throw["Error"]), throw.get("Cause"))
                return answer["Return"]
        raise MockConfigError(f"state {state!r} has no mocked response for invocation {number}")
