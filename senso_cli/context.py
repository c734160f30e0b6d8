"""Per-invocation state shared by the commands: settings (loaded once) and the database.

Settings and the database are built on first use, so a command that needs neither (and
`senso --help`) never imports pydantic models or psycopg.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from handlers.db.database import Database
    from senso_cli.settings import LoadedSettings, Settings


@dataclass
class AppState:
    flags: dict[str, Any] = field(default_factory=dict)
    # Only commands that put data into a home (`dev seed`, `orgs import`) may create one; any
    # other command refuses a home that does not exist rather than start a server for it.
    creates_home: bool = False
    # How this invocation waits between polls (`logs --follow`, following an execution):
    # handed to the backends the factory builds; tests pass one that does not wait.
    sleep: Callable[[float], None] = time.sleep
    _loaded: LoadedSettings[Settings] | None = None
    _db: Database | None = None

    def choose_env(self, env: str) -> None:
        """The environment given with `--env` (on the root or on the command); an unknown one
        is an error here, before the command does anything."""
        self.flags["env"] = env
        self._loaded = None
        self._db = None
        self.loaded.settings.environment()

    @property
    def loaded(self) -> LoadedSettings[Settings]:
        if self._loaded is None:
            from senso_cli.settings import load_settings

            self._loaded = load_settings(flags=self.flags)
        return self._loaded

    @property
    def db(self) -> Database:
        """The database of the chosen environment: locally senso's own (migrated, started on
        first use); for an AWS environment its `database_url`, which senso never migrates."""
        if self._db is None:
            from handlers.db.database import Database
            from handlers.db.tables import Tables
            from senso_cli.errors import ConfigurationError
            from senso_cli.services.database import open_database

            settings = self.loaded.settings
            env = settings.environment()  # an unknown --env is an error here too
            if env is None:
                self._check_home(settings)
                self._db = open_database(settings)
            elif env.database_url is None:
                raise ConfigurationError(
                    f"environment {settings.env!r} has no database_url",
                    hint=f"set environments.{settings.env}.database_url in the config file, "
                    "or use --env local",
                )
            else:
                self._db = Database(
                    env.database_url.get_secret_value(),
                    tables=Tables.from_mapping(settings.tables),
                )
        return self._db

    def existing_db(self) -> Database | None:
        """The database when there is one to read; None (nothing created or started) when
        the local home does not exist or the environment names no database."""
        from handlers.errors import SensoError

        try:
            return self.db
        except SensoError:
            return None

    def writing_db(self) -> Database:
        """The database, creating the local home and its server if there is none yet."""
        self.creates_home = True
        return self.db

    def _check_home(self, settings: Settings) -> None:
        from senso_cli.errors import ConfigurationError

        if settings.database_url is not None or self.creates_home or settings.home.is_dir():
            return
        raise ConfigurationError(
            f"no senso home at {settings.home}: nothing to read, and nothing was created",
            hint="check --home / SENSO_HOME; `senso dev seed` or `senso orgs import FILE` "
            "creates a home",
        )


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
