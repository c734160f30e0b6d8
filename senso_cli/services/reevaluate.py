"""Re-evaluate an org's stored answers with the evaluator the settings choose.

The evaluator components come from the same settings as the workflow's (offline, or the
language model when configured); the provider registry built alongside is closed unused, so
no answer provider is ever called.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.db.database import Database
from handlers.reevaluate import ReevaluationReport, reevaluate_org
from handlers.runtime import build_services
from senso_cli.settings import Settings


def reevaluate(
    db: Database, settings: Settings, org: str, since: datetime, *, dry_run: bool
) -> ReevaluationReport:
    services = build_services(settings)
    try:
        return reevaluate_org(
            db,
            org,
            since,
            generator=services.generator,
            verifier=services.verifier,
            extractor=services.extractor,
            dry_run=dry_run,
        )
    finally:
        services.close()


def report_document(report: ReevaluationReport) -> dict[str, Any]:
    """The report as one JSON-ready document."""
    return {
        "org_id": str(report.org_id),
        "org": report.org_name,
        "since": report.since.isoformat(),
        "dry_run": report.dry_run,
        "evaluator": report.evaluator,
        "examined": report.examined,
        "changed": report.changed,
        "written": report.written,
        "changed_by_metric": report.changed_by_metric,
        "runs": [
            {
                "question_run_id": str(run.question_run_id),
                "created_at": run.created_at.isoformat(),
                "changes": [
                    {"metric": c.metric, "before": c.before, "after": c.after} for c in run.changes
                ],
            }
            for run in report.runs
        ],
    }
