"""What `senso status` shows per execution: org, day, attempt, side, status, cells, duration.

Execution names are deterministic (`org-<org id>-<YYYYMMDD>-a<attempt>`, handlers.executions),
so the org, day and attempt come from the name; the org's slug and the batch's cells come from
the database when there is one to read. Runs that share a name prefix are told apart by these
columns, not by a truncated name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.db.database import Database
from handlers.repositories.orgs import OrgRepository
from handlers.repositories.sides import INNGEST, STEP_FUNCTIONS, batches_sql
from senso_cli.runs import Run

_NAME = re.compile(
    r"^org-(?P<org>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"-(?P<day>\d{8})-a(?P<attempt>\d+)$"
)
# Executions are the Step Functions side; the Inngest side runs no execution senso can list,
# so its rows are the product batches no senso execution produced (handlers.repositories.sides).
SIDE = STEP_FUNCTIONS
# A product batch's status in the words of the execution statuses `--status` filters by.
_BATCH_STATUS = {"pending": "RUNNING", "running": "RUNNING", "completed": "SUCCEEDED",
                 "failed": "FAILED"}  # fmt: skip
_STATUS_BATCHES = {
    status: [batch for batch, mapped in _BATCH_STATUS.items() if mapped == status]
    for status in set(_BATCH_STATUS.values())
}


@dataclass(frozen=True)
class RunRow:
    run: Run
    org_id: str | None
    org: str | None
    day: date | None
    attempt: int | None
    side: str
    cells_total: int | None
    cells_completed: int | None
    cells_failed: int | None
    # An Inngest batch (no execution): its id; the run's name and ARN are empty.
    batch_id: str | None = None

    @property
    def duration_s(self) -> float | None:
        if self.run.stop_date is None:
            return None
        return (self.run.stop_date - self.run.start_date).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.run.name or None,
            "execution_arn": self.run.execution_arn or None,
            "batch_id": self.batch_id,
            "org_id": self.org_id,
            "org": self.org,
            "day": self.day,
            "attempt": self.attempt,
            "side": self.side,
            "status": self.run.status,
            "cells": self.cells_total,
            "cells_completed": self.cells_completed,
            "cells_failed": self.cells_failed,
            "start_date": self.run.start_date,
            "stop_date": self.run.stop_date,
            "duration_s": self.duration_s,
            "redrive_count": self.run.redrive_count,
            "error": self.run.error,
        }


def parse_name(name: str) -> tuple[str, date, int] | None:
    """(org id, batch day, attempt) from a senso execution name; None for any other name."""
    match = _NAME.match(name)
    if match is None:
        return None
    day = datetime.strptime(match["day"], "%Y%m%d").date()
    return match["org"], day, int(match["attempt"])


def run_mark(execution: str | None) -> str:
    """A short label of the run a log line belongs to: org id prefix, batch day, attempt
    (`3e4b107e 11-29 a2`); the execution name's tail for other names; `-` for none."""
    if not execution:
        return "-"
    name = execution.rsplit(":", 1)[-1]
    parsed = parse_name(name)
    if parsed is None:
        return name[-20:]
    org_id, day, attempt = parsed
    return f"{org_id[:8]} {day:%m-%d} a{attempt}"


def is_execution_ref(ref: str) -> bool:
    """An execution ARN or a senso execution name, not an org."""
    return ref.startswith("arn:") or parse_name(ref) is not None


def org_id_for(db: Database | None, ref: str) -> str:
    """An org from its slug, id, full name or a unique name prefix; without a database the
    reference goes on unchanged (an id still works against Step Functions)."""
    if db is None:
        return ref
    with db.connect() as conn:
        return str(OrgRepository(db).resolve_id(conn, ref, names=True))


def run_rows(runs: list[Run], db: Database | None) -> list[RunRow]:
    parsed = {run.name: parse_name(run.name) for run in runs}
    keys = {(p[0], p[1]) for p in parsed.values() if p is not None}
    slugs: dict[str, str] = {}
    cells: dict[tuple[str, date], tuple[int, int, int]] = {}
    if db is not None and keys:
        org_ids = sorted({org_id for org_id, _ in keys})
        with db.connect() as conn:
            for row in conn.execute(
                "SELECT org_id::text AS org_id, slug FROM senso.org_aliases "
                "WHERE org_id::text = ANY(%s)",
                (org_ids,),
            ).fetchall():
                slugs[row["org_id"]] = row["slug"]
            # senso's live batches: the snapshot's cells and senso's cell rows.
            for row in conn.execute(
                """SELECT s.org_id::text AS org_id, s.batch_day,
                          (SELECT count(*) FROM senso.batch_cells c
                            WHERE c.batch_id = s.batch_id) AS total_cells,
                          (SELECT count(*) FROM senso.cell_runs r
                            WHERE r.batch_id = s.batch_id AND r.status = 'completed')
                            AS completed_cells,
                          (SELECT count(*) FROM senso.cell_runs r
                            WHERE r.batch_id = s.batch_id AND r.status = 'failed') AS failed_cells
                   FROM senso.batches s WHERE NOT s.shadow AND s.org_id::text = ANY(%s)""",
                (org_ids,),
            ).fetchall():
                cells[(row["org_id"], row["batch_day"])] = (
                    int(row["total_cells"]),
                    int(row["completed_cells"]),
                    int(row["failed_cells"]),
                )
    rows = []
    for run in runs:
        found = parsed[run.name]
        org_id, day, attempt = found if found else (None, None, None)
        counts = cells.get((org_id, day)) if org_id and day else None
        rows.append(
            RunRow(
                run,
                org_id,
                slugs.get(org_id) if org_id else None,
                day,
                attempt,
                SIDE,
                *(counts or (None, None, None)),
            )
        )
    return rows


def inngest_rows(
    db: Database,
    *,
    status: str | None = None,
    since: datetime | None = None,
    org_id: str | None = None,
    limit: int = 50,
) -> list[RunRow]:
    """The Inngest side's batches as rows beside the executions: what the old system wrote,
    found as compare finds it (a product batch no senso execution produced)."""
    if status is not None and status not in _STATUS_BATCHES:
        return []  # TIMED_OUT, ABORTED: a batch has no such status
    wanted = _STATUS_BATCHES[status] if status else list(_BATCH_STATUS)
    with db.connect() as conn:
        rows = conn.execute(
            f"""SELECT b.batch_id::text AS batch_id, b.org_id::text AS org_id, a.slug,
                       b.batch_day, b.status, b.total_questions, b.completed_questions,
                       b.failed_questions, coalesce(b.started_at, b.created_at) AS start_date,
                       b.completed_at
                FROM ({batches_sql(db.tables)}) b
                LEFT JOIN senso.org_aliases a ON a.org_id = b.org_id
                WHERE b.orchestrator = %(side)s AND b.status = ANY(%(statuses)s)
                  AND (%(since)s::timestamptz IS NULL
                       OR coalesce(b.started_at, b.created_at) >= %(since)s)
                  AND (%(org_id)s::uuid IS NULL OR b.org_id = %(org_id)s::uuid)
                ORDER BY start_date DESC LIMIT %(limit)s""",  # noqa: S608 - validated table map
            {"side": INNGEST, "statuses": wanted, "since": since, "org_id": org_id, "limit": limit},
        ).fetchall()
    return [
        RunRow(
            Run(
                execution_arn="",
                name="",
                status=_BATCH_STATUS.get(row["status"], row["status"].upper()),
                start_date=row["start_date"],
                stop_date=row["completed_at"],
            ),
            row["org_id"],
            row["slug"],
            row["batch_day"],
            None,
            INNGEST,
            int(row["total_questions"]),
            int(row["completed_questions"]),
            int(row["failed_questions"]),
            batch_id=row["batch_id"],
        )
        for row in rows
    ]


def merged(rows: list[RunRow], other: list[RunRow], limit: int = 50) -> list[RunRow]:
    """Both sides' rows, newest first."""
    return sorted(rows + other, key=lambda row: row.run.start_date, reverse=True)[:limit]
