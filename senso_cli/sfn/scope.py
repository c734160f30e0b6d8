"""Control flow out of a running machine: cooperative cancellation and uncaught failures.

A ``Scope`` is cancelled when the execution is aborted or times out, or when a sibling branch
fails. Cancelling a scope cancels its child scopes and every task invocation registered in it,
so a long-running invoker learns through ``TaskInvocation.cancelled`` that nobody is waiting.
``StateFailed`` carries an uncaught ``StatesError`` out of a machine with the state it left.
Neither exception escapes the package.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from senso_cli.sfn.errors import StatesError


class Cancelled(Exception):  # noqa: N818 -- a control-flow signal, not an error condition
    """Raised inside the executor when its scope was cancelled; never escapes the package."""


class StateFailed(Exception):  # noqa: N818 -- carries a StatesError out of a machine
    """An uncaught error left the machine at ``state_name``, whose raw input was ``state_input``."""

    def __init__(self, error: StatesError, state_name: str, state_input: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.state_name = state_name
        self.state_input = state_input


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scope:
    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._members: list[Scope | Cancellable] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if the scope was cancelled."""
        if self._cancelled.is_set():
            raise Cancelled

    def child(self) -> Scope:
        child = Scope()
        self.register(child)
        return child

    def register(self, member: Scope | Cancellable) -> None:
        """Cancel ``member`` with this scope (at once if the scope is already cancelled)."""
        with self._lock:
            self._members.append(member)
            cancelled = self._cancelled.is_set()
        if cancelled:
            member.cancel()

    def unregister(self, member: Scope | Cancellable) -> None:
        with self._lock:
            if member in self._members:
                self._members.remove(member)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()
            members = list(self._members)
        for member in members:
            member.cancel()
