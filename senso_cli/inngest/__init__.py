"""The Inngest side of the migration: an HTTP client for its Event API and REST API."""

from senso_cli.inngest.client import (
    InngestAuthError,
    InngestClient,
    InngestError,
    InngestNotFoundError,
    InngestRequestError,
    InngestRun,
    InngestTransientError,
    SentEvent,
    org_evaluation_event_id,
)

__all__ = [
    "InngestAuthError",
    "InngestClient",
    "InngestError",
    "InngestNotFoundError",
    "InngestRequestError",
    "InngestRun",
    "InngestTransientError",
    "SentEvent",
    "org_evaluation_event_id",
]
