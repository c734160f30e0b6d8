"""A batch completes only when few enough cells failed; otherwise it fails with a reason that
counts its cells by cause, and the org's previous latest batch stays latest. In an AWS
environment nothing is simulated unless configured: a model without a route fails the batch
before any provider call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from handlers.db.database import Database
from handlers.errors import BatchFailedError, InvalidInputError
from handlers.runtime import build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings


def _services(tmp_path: Path, **flags: Any) -> Any:
    settings = load_settings(flags=flags, environ={"SENSO_HOME": str(tmp_path)}).settings
    return build_services(settings)


def _batches(db: Database) -> list[dict[str, Any]]:
    with db.connect() as conn:
        return conn.execute(
            "SELECT s.batch_day, b.status, b.is_latest, s.error_name, s.error_cause "
            "FROM question_run_batches b JOIN senso.batches s USING (batch_id) "
            "ORDER BY s.batch_day"
        ).fetchall()


def _runs(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM senso.cell_runs").fetchone()
    return int(row["n"]) if row else 0


def test_too_many_failed_cells_fail_the_batch_and_keep_the_previous_latest(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    good = run_inline(
        db, {"org_id": str(org_id), "batch_day": yesterday}, services=_services(tmp_path)
    )
    assert good["completion"]["status"] == "completed"

    unrouted = _services(tmp_path, providers={"default_provider": "none"})
    with pytest.raises(BatchFailedError) as failed:
        run_inline(db, {"org_id": str(org_id)}, services=unrouted)
    assert failed.value.error_name == "Senso.BatchFailed"
    assert "12 of 12 cells failed (allowed 5%): 12 no route for the model" in failed.value.message
    assert "'gpt-4.1'" in failed.value.message or "'perplexity'" in failed.value.message

    before, today = _batches(db)
    assert (before["status"], before["is_latest"]) == ("completed", True)
    assert (today["status"], today["is_latest"]) == ("failed", False)
    assert today["error_name"] == "Senso.BatchFailed"
    assert today["error_cause"].startswith("12 of 12 cells failed")


def test_failed_cells_within_the_threshold_complete_the_batch(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    providers = {"default_provider": "none", "routes": {"gpt-4.1": {"provider": "simulated"}}}
    state = run_inline(
        db,
        {"org_id": str(org_id)},
        services=_services(tmp_path, providers=providers, max_failed_cells_ratio=0.5),
    )
    assert state["completion"]["status"] == "completed"
    assert state["matrix"]["failed"] == 6


def test_aws_environment_never_simulates_an_unrouted_model(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    routes = {"gpt-4.1": {"provider": "simulated"}}  # explicit: allowed; perplexity has none
    services = _services(tmp_path, env="prod", providers={"routes": routes})
    assert services.require_routes
    with pytest.raises(InvalidInputError, match="no route for model 'perplexity'"):
        run_inline(db, {"org_id": str(org_id)}, services=services)
    assert _runs(db) == 0  # failed before any provider call
    (batch,) = _batches(db)
    assert (batch["status"], batch["error_name"]) == ("failed", "Senso.InvalidInput")
    assert "perplexity" in batch["error_cause"]


def test_aws_environment_simulates_only_when_configured_explicitly(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    services = _services(tmp_path, env="prod", providers={"default_provider": "simulated"})
    assert not services.require_routes
    state = run_inline(db, {"org_id": str(org_id)}, services=services)
    assert state["completion"]["status"] == "completed"
