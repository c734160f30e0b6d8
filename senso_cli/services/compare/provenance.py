"""Where a compare report comes from: when it was made, against which environment and
database, and by which senso. A report passed around for a go/no-go review must say so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from senso_cli.services.database import mask_url
from senso_cli.services.deploy import default_image_tag

CHECKOUT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Provenance:
    generated_at: datetime
    environment: str
    database: str  # masked: never a password
    version: str

    def line(self) -> str:
        return (
            f"generated {self.generated_at:%Y-%m-%d %H:%M:%S} UTC by {self.version}, "
            f"environment {self.environment!r}, database {self.database}"
        )


def senso_version() -> str:
    """`senso 0.1.0`, with the commit when run from a git checkout."""
    try:
        version = metadata.version("senso")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit = default_image_tag(CHECKOUT) if (CHECKOUT / ".git").exists() else None
    return f"senso {version}" + (f" (commit {commit})" if commit else "")


def provenance(environment: str, database_url: str, *, now: datetime | None = None) -> Provenance:
    return Provenance(
        generated_at=now or datetime.now(UTC),
        environment=environment,
        database=mask_url(database_url),
        version=senso_version(),
    )
