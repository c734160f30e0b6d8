"""The whole rehearsal on one machine: the same org on Step Functions (local runtime) and on the
Inngest stand-in, then compare over the two real batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from handlers.db.database import Database
from handlers.settings import load_settings
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.compare import compare
from senso_cli.services.inngest_side import run_on_inngest
from senso_cli.services.trigger import start_local
from tests.functional.steps.conftest import seed_org


def test_shadow_run_on_both_sides_compares_equal(db: Database, tmp_path: Path) -> None:
    org_id: UUID = seed_org(db)
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    runtime = LocalRuntime(db, settings, time_scale=0)
    day = datetime.now(UTC).date()
    started = start_local(runtime, str(org_id), day=day)
    assert runtime.run(started.started.execution_arn).status == "SUCCEEDED"

    standin = run_on_inngest(db, settings, str(org_id), day)
    assert standin.mode == "stand-in" and "stand-in" in standin.label
    assert standin.status == "SUCCEEDED"

    with db.connect() as conn:
        rows = conn.execute(
            "SELECT orchestrator, status FROM question_run_batches ORDER BY orchestrator"
        ).fetchall()
    assert [(r["orchestrator"], r["status"]) for r in rows] == [
        ("inngest", "completed"),
        ("step_functions", "completed"),
    ]
    result = compare(db, datetime.now(UTC) - timedelta(days=1))
    assert result.pair_count == 1
    assert result.passed, result.summary()
