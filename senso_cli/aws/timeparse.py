"""Parse the `--since` values operators type: a relative age (30s, 10m, 1h, 2d, 1w) or ISO-8601.

Every result is timezone-aware UTC, because CloudWatch Logs and Step Functions compare
against UTC epochs; a naive ISO time is taken to be UTC rather than the laptop's local zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from handlers.errors import InvalidInputError

ACCEPTED_FORMATS = (
    "a relative age such as 30s, 10m, 1h, 2d or 1w, "
    "or an ISO-8601 time such as 2025-03-01 or 2025-03-01T12:00:00Z"
)
_RELATIVE = re.compile(r"^\s*(?P<amount>\d+)\s*(?P<unit>[smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """The UTC moment `value` denotes; relative ages count back from `now` (default: now)."""
    reference = now or datetime.now(UTC)
    match = _RELATIVE.match(value)
    if match is not None:
        amount = int(match["amount"])
        if amount == 0:
            raise InvalidInputError(
                f"--since must be a positive age, got {value!r}",
                hint=f"Use {ACCEPTED_FORMATS}.",
            )
        seconds = amount * _UNIT_SECONDS[match["unit"].lower()]
        return reference - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(
            f"Cannot read --since value {value!r}", hint=f"Use {ACCEPTED_FORMATS}."
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
