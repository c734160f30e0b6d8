"""Which database senso uses (SENSO_DATABASE_URL when set, else its own embedded server) and
in which mode (owned or external, handlers.db.migrate)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from handlers.db.check import CheckResult, check_product_tables
from handlers.db.database import Database
from handlers.db.migrate import Migration, applied_versions, apply_migrations, available_migrations
from handlers.db.tables import Tables
from senso_cli.embedded_pg import EmbeddedPostgres, ServerStatus
from senso_cli.settings import Settings


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(settings.home)


def database_url(settings: Settings, *, start: bool = True) -> str:
    """The URL to use; starts the embedded server when no URL is configured and `start`."""
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    server = embedded_server(settings)
    return server.ensure_running() if start else server.url


def open_database(settings: Settings, *, migrate: bool = True) -> Database:
    db = Database(database_url(settings), tables=Tables.from_mapping(settings.tables))
    if migrate:
        apply_migrations(db, mode=settings.database_mode)
    return db


@dataclass(frozen=True)
class DatabaseStatus:
    mode: str
    url: str
    server: ServerStatus | None
    reachable: bool
    applied: list[int]
    pending: list[int]

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mode": self.mode,
            "url": self.url,
            "reachable": self.reachable,
            "applied_migrations": self.applied,
            "pending_migrations": self.pending,
        }
        if self.server is not None:
            data["server"] = {
                "running": self.server.running,
                "pid": self.server.pid,
                "data_dir": str(self.server.data_dir),
                "socket_dir": str(self.server.socket_dir),
                "binaries": self.server.binaries,
                "run_as": self.server.run_as,
            }
        return data


def database_status(settings: Settings) -> DatabaseStatus:
    """Where the database is and whether it is up, without starting anything."""
    server: ServerStatus | None = None
    if settings.database_url is not None:
        mode, url = "external", mask_url(settings.database_url.get_secret_value())
        raw_url = settings.database_url.get_secret_value()
    else:
        server = embedded_server(settings).status()
        mode, url, raw_url = "embedded", server.url, server.url
    reachable, applied = False, []
    if server is None or server.running:
        try:
            db = Database(raw_url, connect_timeout=3)
            applied = applied_versions(db)
            reachable = True
        except Exception:  # noqa: BLE001 - any failure means "unreachable" here
            reachable = False
    pending = [m.version for m in available_migrations() if m.version not in applied]
    return DatabaseStatus(mode, url, server, reachable, applied, pending if reachable else [])


def migrate(settings: Settings) -> list[Migration]:
    """senso's schema (and, in owned mode, the product reconstruction); see handlers.db.migrate."""
    return apply_migrations(open_database(settings, migrate=False), mode=settings.database_mode)


def mask_url(url: str) -> str:
    """A database URL or conninfo string with every password replaced, safe to print.

    Covers `user:pass@host`, a `?password=` query parameter and `password=` in a key=value
    conninfo string, the three forms psycopg accepts.
    """
    masked = re.sub(r"(?i)(\bpassword\s*=\s*)('[^']*'|[^\s&]+)", r"\1********", url)
    scheme, sep, rest = masked.partition("://")
    if not sep or "@" not in rest.split("?", 1)[0]:
        return masked
    authority, _, tail = rest.partition("@")
    user = authority.split(":", 1)[0]
    shown = f"{user}:********" if ":" in authority else user
    return f"{scheme}://{shown}@{tail}"


def check(settings: Settings) -> CheckResult:
    """Compare the product tables with what senso needs, without migrating or writing."""
    return check_product_tables(open_database(settings, migrate=False))
