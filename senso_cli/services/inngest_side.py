"""The Inngest side of the migration: the real Inngest when configured, else a local stand-in.

With an event key configured, an org's evaluation is an `org.evaluation.process` event sent to
Inngest with an idempotent event id. With none (a laptop), the stand-in (legacy_standin) plays
the old function in this process, writing the product tables the way the Go code does, so an
operator can rehearse route, shadow, compare, rollout and rollback on one machine, and the
tests get data from both sides that were not written by the same code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from handlers.db.database import Database
from handlers.db.migrate import is_owned
from handlers.errors import InvalidInputError, SensoError
from handlers.runtime import build_services
from senso_cli.inngest.client import InngestClient, org_evaluation_event_id
from senso_cli.services.legacy_standin import run_legacy
from senso_cli.settings import Settings

STANDIN_LABEL = "inngest (local stand-in: the old function's writes, replayed in-process)"


@dataclass(frozen=True)
class InngestOutcome:
    mode: str  # "inngest" or "stand-in"
    label: str
    status: str  # SENT, SUCCEEDED, FAILED
    event_id: str | None = None
    error: str | None = None
    cause: str | None = None
    state: dict[str, Any] | None = None
    # When the stand-in began: what it charged is the ledger from then on.
    started_at: datetime | None = None


def inngest_configured(settings: Settings) -> bool:
    return settings.inngest.event_key is not None


def run_on_inngest(
    db: Database, settings: Settings, org_id: str, day: date, *, triggered_by: str = "manual"
) -> InngestOutcome:
    if inngest_configured(settings):
        event_id = org_evaluation_event_id(org_id, day)
        with InngestClient.from_settings(settings.inngest) as client:
            client.send_org_evaluation(org_id, triggered_by=triggered_by, event_id=event_id)
        return InngestOutcome("inngest", "inngest", "SENT", event_id=event_id)
    refuse_standin_on_product_database(db)
    services = build_services(settings)
    started_at = datetime.now(UTC)
    try:
        result = run_legacy(db, services, uuid.UUID(org_id), day)
    except SensoError as exc:
        return InngestOutcome(
            "stand-in",
            STANDIN_LABEL,
            "FAILED",
            error=exc.error_name,
            cause=exc.message,
            started_at=started_at,
        )
    finally:
        services.close()
    state = {
        "batch_id": str(result.batch_id),
        "total_processed": result.total_processed,
        "charged_runs": result.charged_runs,
        "processing_errors": result.processing_errors,
    }
    return InngestOutcome(
        "stand-in", STANDIN_LABEL, "SUCCEEDED", state=state, started_at=started_at
    )


def refuse_standin_on_product_database(db: Database) -> None:
    """The stand-in writes batches and charges credits as the old code does: a rehearsal on a
    database senso owns. On the product's database (external mode) the old system runs for
    real, and a stand-in run would charge customers and show the product a batch of its own."""
    with db.connect() as conn:
        owned = is_owned(conn)
    if not owned:
        raise InvalidInputError(
            "the Inngest stand-in is refused on the product's database (external mode): it "
            "writes batches and charges credits there as the old code does",
            hint="configure Inngest (SENSO_INNGEST_EVENT_KEY) so the event goes to the real "
            "old system, or run the Step Functions side alone with --target sfn",
        )
