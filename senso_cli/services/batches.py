"""What one org's batch for a day looks like: cells, aggregates and what the run charged.

Shown by `trigger` and `status` for every side (local, Step Functions, Inngest), read from the
rows each side wrote (handlers.repositories.sides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from handlers.db.database import Database
from handlers.repositories.batches import find_batch, progress
from handlers.repositories.sides import STEP_FUNCTIONS, batches_sql


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
    # Completed cells answered by the simulated provider: free, never charged.
    simulated_cells: int = 0


def live_progress(
    db: Database, org_id: Any, day: date, *, shadow: bool = False
) -> dict[str, int] | None:
    """Cells of senso's batch so far (senso's cell rows, current while the matrix runs)."""
    with db.connect() as conn:
        batch = find_batch(conn, db.tables.for_batch(shadow), org_id, day)
        return progress(conn, batch["batch_id"]) if batch else None


def batch_summary(
    db: Database,
    org_id: Any,
    day: date,
    *,
    orchestrator: str = STEP_FUNCTIONS,
    charged_since: datetime | None = None,
    shadow: bool = False,
) -> BatchSummary | None:
    """The org's batch of `day` written by `orchestrator` (senso live or shadow, or the old
    system), summarised from the rows in the database: its stored counters, its runs and
    evaluations, and the ledger rows that name it. `credits_charged` counts only ledger entries
    written at or after `charged_since` (the run's start), the whole batch when it is None."""
    t = db.tables.for_batch(shadow)
    with db.connect() as conn:
        batch = conn.execute(
            f"""SELECT b.* FROM ({batches_sql(db.tables)}) b
                WHERE b.org_id = %s AND b.batch_day = %s AND b.orchestrator = %s
                  AND b.shadow = %s
                ORDER BY b.created_at LIMIT 1""",  # noqa: S608
            (org_id, day, orchestrator, shadow and orchestrator == STEP_FUNCTIONS),
        ).fetchone()
        if batch is None:
            return None
        metrics = conn.execute(
            f"""SELECT count(r.question_run_id) AS runs,
                       count(*) FILTER (WHERE e.mentioned) AS mentioned,
                       count(*) FILTER (WHERE e.citation) AS cited,
                       avg(CASE WHEN e.mentioned AND octet_length(r.response_text) > 0
                                THEN 100.0 * octet_length(coalesce(e.mention_text, ''))
                                     / octet_length(r.response_text)
                                ELSE 0 END) AS sov,
                       avg(e.mention_rank) FILTER (WHERE e.mentioned) AS rank,
                       count(*) FILTER (WHERE lower(e.sentiment) = 'positive') AS positive,
                       count(*) FILTER (WHERE lower(e.sentiment) = 'neutral') AS neutral,
                       count(*) FILTER (WHERE lower(e.sentiment) = 'negative') AS negative,
                       (SELECT coalesce(-sum(l.amount), 0) FROM {t.credit_ledger} l
                         WHERE l.metadata->>'batch_id' = %(b)s::text) AS charged,
                       (SELECT coalesce(-sum(l.amount), 0) FROM {t.credit_ledger} l
                         WHERE l.metadata->>'batch_id' = %(b)s::text
                           AND (%(since)s::timestamptz IS NULL OR l.created_at >= %(since)s))
                         AS charged_now,
                       (SELECT bool_or(c.simulated) FROM senso.cell_runs c
                         WHERE c.batch_id = %(b)s) AS simulated,
                       (SELECT count(*) FROM senso.cell_runs c
                         WHERE c.batch_id = %(b)s AND c.simulated AND c.status = 'completed')
                         AS simulated_cells
                FROM {t.question_runs} r
                LEFT JOIN {t.org_evals} e ON e.question_run_id = r.question_run_id
                WHERE r.batch_id = %(b)s""",  # noqa: S608
            {"b": batch["batch_id"], "since": charged_since},
        ).fetchone()
        # senso's own cell rows are current while the matrix runs; the stored counters are
        # recounted from them when a step ends (the old system's are all there is).
        ours = batch["orchestrator"] == STEP_FUNCTIONS
        live = progress(conn, batch["batch_id"]) if ours else None
    assert metrics is not None  # an aggregate always returns one row
    runs = int(metrics["runs"])
    cells = int(batch["total_questions"] or 0)
    completed = int(batch["completed_questions"] or 0)
    failed = int(batch["failed_questions"] or 0)
    if live is not None:
        cells = live["total_cells"] or cells
        completed, failed = live["completed_cells"], live["failed_cells"]

    def pct(part: Any) -> float:
        return round(100.0 * int(part) / runs, 2) if runs else 0.0

    return BatchSummary(
        batch_id=str(batch["batch_id"]),
        status=batch["status"],
        cells=cells,
        completed=completed,
        failed=failed,
        visibility=pct(metrics["mentioned"]),
        share_of_voice=round(float(metrics["sov"] or 0), 2),
        mean_rank=round(float(metrics["rank"]), 2) if metrics["rank"] is not None else None,
        citation_rate=pct(metrics["cited"]),
        sentiment={k: int(metrics[k]) for k in ("positive", "neutral", "negative")},
        # A shadow run charges nobody: its shadow ledger says what it would have charged.
        credits_charged=Decimal(0) if shadow else Decimal(metrics["charged_now"]),
        simulated=bool(metrics["simulated"]),
        credits_batch_total=Decimal(0) if shadow else Decimal(metrics["charged"]),
        simulated_cells=int(metrics["simulated_cells"] or 0),
    )
