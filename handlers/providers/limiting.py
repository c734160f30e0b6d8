"""What a provider needs from a rate limiter, whichever kind paces it.

Two limiters implement this: `ratelimit.RateLimiter` keeps the window in the process (one
container's threads), `fleet_limiter.FleetLimiter` keeps it in PostgreSQL so every task and
execution that uses one provider account shares one budget. Providers depend on this protocol
only, so the choice is made once, in `build`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Protocol


class Grant(Protocol):
    """One call the limiter let through."""

    @property
    def granted_at(self) -> float:
        """When it was granted, on the limiter's own clock (what `observe_headers` expects)."""
        ...

    def settle(self, actual_tokens: int | None) -> None:
        """Replace the token estimate charged at grant time with the usage the answer reported."""
        ...

    def rejected(self, retry_after: float | None) -> None:
        """The server refused this call for its rate limit (429); the limiter learns from it."""
        ...


class Limiter(Protocol):
    """Requests and tokens per minute, calls in flight, and pauses the server asks for."""

    def slot(
        self, estimated_tokens: int = 0, *, org: str | None = None
    ) -> AbstractContextManager[Grant]:
        """Block until a call of `estimated_tokens` may go; held for the call's duration.

        `org` is whose cell the call answers: a fleet-wide limiter shares the budget fairly
        across orgs by it.
        """
        ...

    def observe_headers(
        self,
        headers: Mapping[str, str],
        *,
        request_tokens: int = 0,
        sent_at: float | None = None,
    ) -> float:
        """Apply `Retry-After` / `x-ratelimit-*` pause hints; returns the pause set (seconds)."""
        ...

    def pause(self, seconds: float) -> None:
        """Hold every caller of this budget off for `seconds` from now."""
        ...
