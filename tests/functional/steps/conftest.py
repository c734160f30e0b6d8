"""Fixtures for the step tests: a small org and the offline workflow services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from handlers.db.database import Database
from handlers.orgdata.importer import import_orgs, parse_org_document
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import WorkflowServices, build_services
from senso_cli.settings import load_settings

SMALL_ORG = """
slug: acme
name: Acme Credit Union
partner: {slug: p1, name: Partner One}
websites: [https://acmecu.example]
questions:
  - Which credit union is best for car loans?
  - Where should I open a savings account?
  - What bank has the best mobile app?
models: [gpt-4.1, perplexity]
locations: [US, {country: CA, region: Ontario}]
credits: 100
"""


def seed_org(db: Database, text: str = SMALL_ORG) -> UUID:
    org_file = parse_org_document(text, source="org.yaml")
    import_orgs(db, org_file)
    return OrgRepository(db).get(org_file.orgs[0].slug).org_id


@pytest.fixture
def org_id(db: Database) -> UUID:
    return seed_org(db)


def make_services(tmp_path: Path, **env: str) -> WorkflowServices:
    environ = {"SENSO_HOME": str(tmp_path)} | env
    return build_services(load_settings(environ=environ).settings)


@pytest.fixture
def services(tmp_path: Path) -> Iterator[WorkflowServices]:
    built = make_services(tmp_path)
    yield built
    built.close()
