"""The Inngest side of the migration: the real Inngest when configured, else a local stand-in.

With an event key configured, an org's evaluation is an `org.evaluation.process` event sent to
Inngest with an idempotent event id. With none (a laptop), the stand-in runs the same steps in
this process in the order the old Inngest function ran them (domain.md section 2) and records
its batch as orchestrator `inngest`, so an operator can rehearse route, shadow, compare, rollout
and rollback on one machine, and the tests get real data from both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from handlers.db.database import Database
from handlers.errors import SensoError
from handlers.runtime import build_services
from handlers.settings import Settings
from handlers.workflow import run_inline
from senso_cli.inngest.client import InngestClient, org_evaluation_event_id

STANDIN_LABEL = "inngest (local stand-in: steps run in-process in the old Inngest order)"


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
    services = build_services(settings)
    started_at = datetime.now(UTC)
    payload = {
        "org_id": org_id,
        "triggered_by": triggered_by,
        "orchestrator": "inngest",
        "batch_day": day.isoformat(),
    }
    try:
        state = run_inline(db, payload, services=services, execution_id=f"inngest-standin-{day}")
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
    return InngestOutcome(
        "stand-in", STANDIN_LABEL, "SUCCEEDED", state=state, started_at=started_at
    )
