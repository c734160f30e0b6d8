"""Per-invocation state shared by the commands: settings (loaded once) and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import typer

from handlers.db.database import Database
from handlers.settings import LoadedSettings, load_settings
from senso_cli.services.database import open_database


@dataclass
class AppState:
    flags: dict[str, Any] = field(default_factory=dict)
    _loaded: LoadedSettings | None = None
    _db: Database | None = None

    @property
    def loaded(self) -> LoadedSettings:
        if self._loaded is None:
            self._loaded = load_settings(flags=self.flags)
        return self._loaded

    @property
    def db(self) -> Database:
        """The migrated database, started on first use when it is the embedded one."""
        if self._db is None:
            self._db = open_database(self.loaded.settings)
        return self._db


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
