"""The error hierarchy of the workflow library.

    SensoError                      root; `error_name` is what Step Functions sees
    ├── InvalidInputError           bad input or configuration; never retried (Senso.InvalidInput)
    │   └── NotFoundError           an org, batch or execution that does not exist
    ├── InsufficientCreditsError    the payer cannot cover the estimate (Senso.InsufficientCredits)
    ├── TransientError              worth retrying: database restarts, throttling (Senso.Transient)
    │   └── ProviderTransientError  a provider answered 429/5xx or timed out
    ├── ProviderError               a provider failed in a way a retry will not fix
    ├── BatchFailedError            too many cells failed for the batch to complete
    └── DatabaseError               the database is unreachable or misconfigured

Each error carries a one-line message and an optional hint; the CLI prints both and maps the
class to an exit code, the container maps `error_name` to SendTaskFailure's error.
"""

from __future__ import annotations


class SensoError(Exception):
    """Root of every error senso raises on purpose."""

    error_name = "Senso.Error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInputError(SensoError):
    """Input or configuration that no retry can fix."""

    error_name = "Senso.InvalidInput"


class NotFoundError(InvalidInputError):
    """A named thing (org, batch, execution) does not exist."""

    error_name = "Senso.NotFound"


class InsufficientCreditsError(SensoError):
    """The payer's balance does not cover the estimated charge."""

    error_name = "Senso.InsufficientCredits"


class TransientError(SensoError):
    """A failure that a later attempt may not meet (restarts, throttling, timeouts)."""

    error_name = "Senso.Transient"


class ProviderTransientError(TransientError):
    """A provider throttled us, failed with 5xx or timed out."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class ProviderError(SensoError):
    """A provider failed permanently for one request (bad request, auth, malformed body)."""

    error_name = "Senso.ProviderError"


class BatchFailedError(SensoError):
    """More cells failed than the configured threshold allows; never retried as a whole (a
    re-trigger or redrive runs the failed cells again)."""

    error_name = "Senso.BatchFailed"

    def __init__(self, message: str, *, failed_cells: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.failed_cells = failed_cells


class DatabaseError(SensoError):
    """The database cannot be reached or started."""

    error_name = "Senso.Database"
