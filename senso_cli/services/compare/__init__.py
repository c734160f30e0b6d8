"""`senso compare`: do Step Functions and Inngest produce the same results?

Reads batches of both orchestrators from PostgreSQL (aggregated per batch in SQL), pairs the
orgs both evaluated on the same day, diffs every metric against a relative tolerance, and
compares the two populations as cohorts. `report` renders the result as a table, JSON, CSV,
Markdown or a self-contained HTML page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.repositories.orgs import OrgRepository
from senso_cli.services.compare.cohorts import compare_cohorts
from senso_cli.services.compare.load import Window, load
from senso_cli.services.compare.metrics import add_metrics
from senso_cli.services.compare.paired import compare_pairs
from senso_cli.services.compare.result import CompareResult, Verdict

__all__ = ["CompareResult", "Verdict", "compare"]


def compare(
    db: Database,
    since: datetime,
    until: datetime | None = None,
    org: str | None = None,
    tolerance: float = 0.01,
) -> CompareResult:
    """Compare the batches whose day falls in [since, until] (until defaults to now)."""
    until = until or datetime.now(UTC)
    if since > until:
        raise InvalidInputError(
            f"--since ({since:%Y-%m-%d %H:%M}) is after --until ({until:%Y-%m-%d %H:%M})",
            hint="swap the two values",
        )
    if not 0 <= tolerance < 1:
        raise InvalidInputError(
            f"tolerance must be at least 0 and below 100%, got {tolerance:g}",
            hint="use a fraction such as 0.01 or a percentage such as 1%",
        )
    org_id = None
    if org is not None:
        with db.connect(autocommit=True) as conn:
            org_id = OrgRepository(db).resolve_id(conn, org)
    loaded = load(db, Window(since, until, org_id))
    batches = add_metrics(loaded.batches)
    return CompareResult(
        since=since,
        until=until,
        org=org,
        tolerance=tolerance,
        paired=compare_pairs(batches, tolerance, loaded.model_cells_for),
        cohorts=compare_cohorts(batches, tolerance),
    )
