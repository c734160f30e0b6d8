"""The batch day an operator may ask for: a UTC date, today or earlier.

A batch is the evaluation of one org on one UTC day; a future day has no answers to gather yet
and would be charged now for a day that has not happened, so it is refused before anything is
started or written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from handlers.errors import InvalidInputError


def parse_batch_day(value: str | None, *, today: date | None = None) -> date:
    """`--day YYYY-MM-DD` (default today, UTC); a day after today (UTC) is bad input."""
    current = today or datetime.now(UTC).date()
    if value is None:
        return current
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInputError(f"--day {value!r} is not a date", hint="use YYYY-MM-DD") from None
    if day > current:
        raise InvalidInputError(
            f"--day {day} is in the future (today is {current} UTC)",
            hint="batches are for today or earlier days; omit --day for today",
        )
    return day
