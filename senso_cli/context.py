"""Per-invocation state shared by the commands: settings (loaded once) and the database.

Settings and the database are built on first use, so a command that needs neither (and
`senso --help`) never imports pydantic models or psycopg.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from handlers.db.database import Database
    from handlers.settings import LoadedSettings


@dataclass
class AppState:
    flags: dict[str, Any] = field(default_factory=dict)
    _loaded: LoadedSettings | None = None
    _db: Database | None = None

    def choose_env(self, env: str) -> None:
        """The environment given with `--env` (on the root or on the command); an unknown one
        is an error here, before the command does anything."""
        self.flags["env"] = env
        self._loaded = None
        self._db = None
        self.loaded.settings.environment()

    @property
    def loaded(self) -> LoadedSettings:
        if self._loaded is None:
            from handlers.settings import load_settings

            self._loaded = load_settings(flags=self.flags)
        return self._loaded

    @property
    def db(self) -> Database:
        """The database of the chosen environment: locally senso's own (migrated, started on
        first use); for an AWS environment its `database_url`, which senso never migrates."""
        if self._db is None:
            from handlers.db.database import Database
            from senso_cli.errors import ConfigurationError
            from senso_cli.services.database import open_database

            settings = self.loaded.settings
            env = settings.environment()  # an unknown --env is an error here too
            if env is None:
                self._db = open_database(settings)
            elif env.database_url is None:
                raise ConfigurationError(
                    f"environment {settings.env!r} has no database_url",
                    hint=f"set environments.{settings.env}.database_url in the config file, "
                    "or use --env local",
                )
            else:
                self._db = Database(env.database_url.get_secret_value())
        return self._db


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
