"""What one org's batch for a day looks like: cells, aggregates and what the run charged.

Shown by `trigger` and `status` for every side (local, Step Functions, Inngest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from handlers.db.database import Database


@dataclass(frozen=True)
class BatchSummary:
    batch_id: str
    status: str
    cells: int
    completed: int
    failed: int
    visibility: float
    share_of_voice: float
    mean_rank: float | None
    citation_rate: float
    sentiment: dict[str, int]
    # Charged by the run being shown (ledger entries since it started); a re-run of a
    # completed batch charges nothing, whatever the batch cost the first time.
    credits_charged: Decimal
    simulated: bool
    # Everything the batch was ever charged, by every run of it.
    credits_batch_total: Decimal = Decimal(0)


def batch_summary(
    db: Database,
    org_id: Any,
    day: date,
    *,
    orchestrator: str = "step_functions",
    charged_since: datetime | None = None,
) -> BatchSummary | None:
    """The org's batch for the day; `credits_charged` counts only ledger entries written at or
    after `charged_since` (the run's start), the whole batch when it is None."""
    with db.connect() as conn:
        batch = conn.execute(
            """SELECT b.batch_id, b.status, b.aggregates, p.total_cells, p.completed_cells,
                      p.failed_cells,
                      (SELECT coalesce(-sum(amount), 0) FROM credit_ledger l
                        WHERE l.batch_id = b.batch_id) AS charged,
                      (SELECT coalesce(-sum(amount), 0) FROM credit_ledger l
                        WHERE l.batch_id = b.batch_id
                          AND (%s::timestamptz IS NULL OR l.created_at >= %s)) AS charged_now,
                      (SELECT bool_or(simulated) FROM question_runs r
                        WHERE r.batch_id = b.batch_id) AS simulated
               FROM question_run_batches b JOIN batch_progress p ON p.batch_id = b.batch_id
               WHERE b.org_id = %s AND b.batch_day = %s AND b.orchestrator = %s""",
            (charged_since, charged_since, org_id, day, orchestrator),
        ).fetchone()
    if batch is None:
        return None
    overall = (batch["aggregates"] or {}).get("overall", {})
    return BatchSummary(
        batch_id=str(batch["batch_id"]),
        status=batch["status"],
        cells=int(batch["total_cells"]),
        completed=int(batch["completed_cells"]),
        failed=int(batch["failed_cells"]),
        visibility=float(overall.get("visibility", 0.0)),
        share_of_voice=float(overall.get("share_of_voice", 0.0)),
        mean_rank=overall.get("mean_rank"),
        citation_rate=float(overall.get("citation_rate", 0.0)),
        sentiment=overall.get("sentiment", {}),
        credits_charged=Decimal(batch["charged_now"]),
        simulated=bool(batch["simulated"]),
        credits_batch_total=Decimal(batch["charged"]),
    )
