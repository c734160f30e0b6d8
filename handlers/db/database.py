"""A small facade over psycopg connections.

Each unit of work opens its own short connection: the handlers run a few hundred cell
transactions at most, a unix-socket connect costs about a millisecond, and a pool would add a
dependency and shared state across the matrix step's worker threads for no measurable gain.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row

from handlers.db.tables import Tables
from handlers.errors import DatabaseError, TransientError

# Connection failures and server shutdowns are worth retrying; the step then fails as
# Senso.Transient and the state machine retries it.
_TRANSIENT_SQLSTATES = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "40001", "40P01"}


def is_transient(exc: BaseException) -> bool:
    """Whether a psycopg error is a restart, a lost connection, or a serialisation conflict."""
    if isinstance(exc, psycopg.OperationalError):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return sqlstate in _TRANSIENT_SQLSTATES


class Database:
    """Opens connections to one PostgreSQL database given by its URL.

    `tables` names the product tables in this database (handlers.db.tables): every statement
    that touches a product table takes its name from here.
    """

    def __init__(
        self, url: str, *, connect_timeout: int = 10, tables: Tables | None = None
    ) -> None:
        self.url = url
        self.tables = tables or Tables()
        self._connect_timeout = connect_timeout

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[dict[str, Any]]:
        """A new connection with dict rows; the caller closes it."""
        try:
            return psycopg.connect(
                self.url,
                autocommit=autocommit,
                row_factory=dict_row,
                connect_timeout=self._connect_timeout,
                application_name="senso",
                # Unqualified product table names mean schema public, never the "$user" schema
                # of the default search path: with a role called senso, that would be senso's
                # own schema. Product tables elsewhere are schema-qualified in the table map.
                options="-c search_path=public",
            )
        except psycopg.OperationalError as exc:
            raise TransientError(
                f"cannot connect to PostgreSQL: {_first_line(exc)}",
                hint="check SENSO_DATABASE_URL, or run `senso db status` for the embedded server",
            ) from exc

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """A connection inside one transaction: committed on success, rolled back on error.

        Lost connections and server restarts surface as TransientError so that a step fails
        with a name the state machine retries.
        """
        conn = self.connect()
        try:
            with conn.transaction():
                yield conn
        except psycopg.Error as exc:
            if is_transient(exc):
                raise TransientError(f"database operation interrupted: {_first_line(exc)}") from exc
            raise
        finally:
            conn.close()

    def check(self) -> None:
        """Raise DatabaseError with a hint when the database cannot be reached."""
        try:
            with self.connect(autocommit=True) as conn:
                conn.execute("SELECT 1")
        except TransientError as exc:
            raise DatabaseError(exc.message, hint=exc.hint) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
