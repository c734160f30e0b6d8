"""Shared fixtures: a real PostgreSQL per test session, a fresh database per test, fake AWS
credentials and a stable console width.

The server is senso's own embedded PostgreSQL (fsync off) unless SENSO_TEST_DATABASE_URL names
an existing server. Each test gets its own database cloned from a migrated template, so tests
never see each other's rows and migrations run once per session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations
from senso_cli.embedded_pg import EmbeddedPostgres
from tests.fakes.openai_server import FakeOpenAIServer
from tests.modes import Operator

TEMPLATE_DB = "senso_test_template"


@pytest.fixture(scope="session", autouse=True)
def _stable_environment() -> Iterator[None]:
    """Fake AWS credentials (nothing may reach a real account) and a fixed Rich width."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
            "COLUMNS": "120",
            "TERM": "dumb",
            "NO_COLOR": "1",
        }
    )
    for var in [v for v in os.environ if v.startswith("SENSO_") and v != "SENSO_TEST_DATABASE_URL"]:
        del os.environ[var]
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("SENSO_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg-home"), fsync=False)
    url = server.ensure_running()
    try:
        yield url
    finally:
        server.stop()


def database_url(server_url: str, name: str) -> str:
    return make_conninfo(server_url, dbname=name)


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> str:
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    apply_migrations(Database(database_url(pg_server_url, TEMPLATE_DB)))
    return TEMPLATE_DB


@pytest.fixture
def db(pg_server_url: str, template_database: str) -> Iterator[Database]:
    """A fresh, migrated database for this test alone."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    try:
        yield Database(database_url(pg_server_url, name))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def empty_db(pg_server_url: str) -> Iterator[Database]:
    """A fresh database with no schema at all (for migration tests)."""
    name = f"e_{uuid.uuid4().hex[:16]}"
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database(database_url(pg_server_url, name))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def external_db(pg_server_url: str) -> Iterator[Database]:
    """A product database as the old system left it (product tables only, no constraints, no
    senso schema), then migrated by senso in external mode (its own schema only)."""
    from tests.product_db import build_product_tables

    name = f"x_{uuid.uuid4().hex[:16]}"
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(database_url(pg_server_url, name))
        build_product_tables(db)
        apply_migrations(db)
        yield db
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def senso_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "senso-home"
    monkeypatch.setenv("SENSO_HOME", str(home))
    return home


@pytest.fixture
def cli_env(db: Database, senso_home: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """The CLI pointed at this test's database (through SENSO_DATABASE_URL)."""
    monkeypatch.setenv("SENSO_DATABASE_URL", db.url)
    return db


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def external_template(pg_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A product database as the old system left it, migrated by `senso db migrate`."""
    from tests.modes import build_external_template

    home = tmp_path_factory.mktemp("external-template-home")
    return build_external_template(pg_server_url, CliRunner(), home)


@pytest.fixture(params=["owned", "external"])
def operator(
    request: pytest.FixtureRequest,
    pg_server_url: str,
    template_database: str,
    senso_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    runner: CliRunner,
) -> Iterator[Operator]:
    """The CLI on a fresh database in each mode, with one org ready (tests/modes.py)."""
    from tests.modes import clone, drop, operator_for

    external = request.param == "external"
    template = request.getfixturevalue("external_template") if external else template_database
    db = clone(pg_server_url, template)
    monkeypatch.setenv("SENSO_DATABASE_URL", db.url)
    try:
        yield operator_for(request.param, db, runner)
    finally:
        drop(db, pg_server_url)


@pytest.fixture
def billable_server() -> Iterator[FakeOpenAIServer]:
    """A local OpenAI-protocol server: the billable provider of tests about charges
    (simulated answers are free, so they cannot show a charge; see tests/billable.py)."""
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def billable_env(
    billable_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> FakeOpenAIServer:
    """Every geo model routed to `billable_server` for the CLI and step processes."""
    from tests.billable import billable_environ

    for name, value in billable_environ(billable_server).items():
        monkeypatch.setenv(name, value)
    return billable_server


@pytest.fixture
def billable_services(tmp_path: Path, billable_server: FakeOpenAIServer) -> Iterator[Any]:
    """In-process workflow services whose every model is answered by `billable_server`."""
    from tests.billable import billable_services as build

    services = build(tmp_path / "billable-home", billable_server)
    yield services
    services.close()
