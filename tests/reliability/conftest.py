"""Reliability fixtures: a small org and a settings home per test."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from handlers.db.database import Database
from tests.functional.steps.conftest import seed_org


@pytest.fixture
def org_id(db: Database) -> UUID:
    return seed_org(db)


def write_home(tmp_path: Path, config: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(config)
    return home
