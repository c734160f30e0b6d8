"""PostgreSQL access for the workflow: connections, migrations and repositories."""

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations, available_migrations

__all__ = ["Database", "apply_migrations", "available_migrations"]
