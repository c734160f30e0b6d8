"""How the matrix step retries one cell, and how it names why a cell failed.

A provider call can fail for one cell or for the whole call; either way the decision is made per
cell. Transient failures (429, 5xx, timeouts, a snapshot not ready, dropped connections) put the
cell back in the queue after a backoff that is never shorter than the server's Retry-After; a
chunk that failed as a whole is retried in halves, so one bad item cannot keep nineteen good
ones from finishing. Permanent failures (401/403, unknown model, invalid request) fail the cell at
once with the reason. What is still failing transiently when the step's budget (time or
attempts) runs out makes the step fail with `Senso.Transient`, and the state machine's Retry
runs the step again for those cells only.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError

FailureCause = Literal["transient", "permanent", "unknown_model", "no_answer", "evaluation"]
"""Why a cell failed, as the batch outcome counts them."""

CAUSE_LABELS: dict[FailureCause, str] = {
    "transient": "still failing transiently",
    "permanent": "rejected by the provider",
    "unknown_model": "no route for the model",
    "no_answer": "no answer (placeholder)",
    "evaluation": "evaluation failed",
}

# A whole-call rejection that concerns the credentials, not the items: no split will help.
_AUTH_STATUS = re.compile(r"\bHTTP 40[13]\b")


@dataclass(frozen=True)
class CellRetryPolicy:
    """Per-cell retries inside one run of the matrix step."""

    max_attempts: int = 8
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    # The step ends inside this: no attempt starts that could still run past it.
    budget_s: float = 1500.0
    # Provider name -> the longest one attempt of it can take (handlers.matrix.budget).
    attempt_limits: Mapping[str, float] = field(default_factory=dict)

    def longest_attempt(self, provider: str) -> float:
        return self.attempt_limits.get(provider, 0.0)

    def delay(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """The wait before attempt `attempt + 1`: exponential, equal jitter, Retry-After floor."""
        ceiling = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (attempt - 1))
        delay = (rng or random).uniform(ceiling / 2, ceiling) if ceiling > 0 else 0.0
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


def retry_chunk_size(failed_call_size: int) -> int:
    """Cells per call when retrying a failed call's cells: half as many, at least one."""
    return max(1, failed_call_size // 2)


def whole_call_is_permanent(exc: Exception) -> bool:
    """Whether a permanent whole-call error applies to every cell (credentials, config) rather
    than to one bad item among them (an invalid request is retried cell by cell)."""
    if isinstance(exc, InvalidInputError):
        return True
    return isinstance(exc, ProviderError) and bool(_AUTH_STATUS.search(exc.message))


def is_transient(exc: Exception) -> bool:
    return isinstance(exc, ProviderTransientError)
