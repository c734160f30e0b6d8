"""The Inngest side of a trigger: the real Inngest when configured (an event is sent), else the
local stand-in that runs the old function's steps in this process.

Inngest keeps its own run history; `status`, `redrive` and `logs` read Step Functions or the
local runtime only, so this side offers `start` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from handlers.db.database import Database
from handlers.repositories.orgs import OrgRepository
from senso_cli.services.batches import BatchSummary, batch_summary
from senso_cli.services.inngest_side import InngestOutcome, run_on_inngest
from senso_cli.settings import Settings


@dataclass(frozen=True)
class InngestRun:
    outcome: InngestOutcome
    org_id: UUID
    day: date
    batch: BatchSummary | None  # the stand-in's batch (the real Inngest reports elsewhere)


class InngestRuns:
    kind = "inngest"

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings

    def start(self, org_ref: str, day: date) -> InngestRun:
        org = OrgRepository(self._db).get(org_ref)
        outcome = run_on_inngest(self._db, self._settings, str(org.org_id), day)
        batch = None
        if outcome.mode == "stand-in":
            batch = batch_summary(
                self._db, org.org_id, day, orchestrator="inngest", charged_since=outcome.started_at
            )
        return InngestRun(outcome, org.org_id, day, batch)
