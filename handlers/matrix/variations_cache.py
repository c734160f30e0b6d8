"""Name variations, generated once per org and reused until its name or websites change.

The old system regenerated them on every retry, so two attempts could judge the same answer
differently (weakness 10). The cache key is a fingerprint of the generator's inputs.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from handlers.db.database import Database
from handlers.evaluation import NameVariationGenerator, variations_fingerprint


def org_variations(
    db: Database, org_id: UUID, name: str, websites: list[str], generator: NameVariationGenerator
) -> list[str]:
    fingerprint = variations_fingerprint(name, websites, generator.identity)
    with db.connect() as conn:
        row = conn.execute(
            "SELECT fingerprint, names FROM senso.name_variations WHERE org_id = %s", (org_id,)
        ).fetchone()
    if row is not None and row["fingerprint"] == fingerprint:
        names: list[str] = row["names"]
        return names
    generated = generator.generate(name, websites)
    with db.transaction() as conn:
        conn.execute(
            """INSERT INTO senso.name_variations (org_id, fingerprint, names, generator, cost)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (org_id) DO UPDATE
                 SET fingerprint = EXCLUDED.fingerprint, names = EXCLUDED.names,
                     generator = EXCLUDED.generator, cost = EXCLUDED.cost, created_at = now()""",
            (org_id, fingerprint, generated.names, generated.generator, generated.cost),
        )
    return list(generated.names)


def cached_names(db: Database, org_id: UUID) -> Any:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT names FROM senso.name_variations WHERE org_id = %s", (org_id,)
        ).fetchone()
    return row["names"] if row else None
