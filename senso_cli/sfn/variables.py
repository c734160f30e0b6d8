"""Workflow variables (``Assign``): one scope per machine, nested scopes for Map and Parallel.

The developer guide's rules, which the runtime enforces here:

- a state's ``Assign`` is evaluated against the variables as they were when the state was
  entered, and the new values become visible from the *next* state on (so ``Output`` and
  ``OutputPath`` of the same state still read the old values);
- the states of a Parallel branch or a Map iteration read every variable of the enclosing
  scopes, but may not assign one of them, and what they assign is not visible outside;
- ``$states`` is reserved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from senso_cli.sfn.errors import RUNTIME, StatesError


class Variables:
    def __init__(self, outer: Mapping[str, Any] | None = None) -> None:
        self._outer: dict[str, Any] = dict(outer or {})
        self._inner: dict[str, Any] = {}
        self._view: dict[str, Any] | None = None

    def view(self) -> Mapping[str, Any]:
        """Every variable visible in this scope, to read."""
        if self._view is None:
            self._view = {**self._outer, **self._inner}
        return self._view

    def assign(self, values: Mapping[str, Any]) -> None:
        """Bind ``values`` at once (the caller evaluated them all before binding any)."""
        for name, value in values.items():
            if name in self._outer:
                raise StatesError(
                    RUNTIME,
                    f"Cannot bind value '{value}' to variable '{name}' as it belongs to an "
                    "outer scope.",
                )
        self._inner.update(values)
        self._view = None

    def nested(self) -> Variables:
        """A scope for a Parallel branch or a Map iteration: reads all of this one's variables."""
        return Variables(self.view())
