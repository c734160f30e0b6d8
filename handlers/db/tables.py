"""The one place that names the product's tables, and senso's shadow copies of them.

The product (senso-api and the old Inngest system) owns the tables of domain.md section 1.
Some names are read from the old code (question_runs, question_run_batches, geo_questions, orgs,
networks, org_citations); the others were inferred from repository names ([I] in domain.md).
Every SQL statement in senso takes its table names from a `Tables` value, so an operator whose
database spells an [I] name differently maps it in configuration (`[tables]` in the config
file, or SENSO_TABLES_JSON) without a code change, e.g. `credit_ledger = "billing.credit_entries"`.

Shadow runs (the Scientist pattern) write tables of the same shape in senso's own schema:
`Tables.shadow()` points the six tables a batch writes at `senso.shadow_*`, and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from handlers.errors import InvalidInputError

SENSO_SCHEMA = "senso"
# A table name, optionally schema-qualified; validated because it is spliced into SQL text.
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$")

# The tables a batch writes; a shadow batch writes senso.shadow_<name> instead.
BATCH_WRITTEN = (
    "question_run_batches",
    "question_runs",
    "org_evals",
    "org_citations",
    "org_competitors",
    "credit_ledger",
)


@dataclass(frozen=True)
class Tables:
    """Physical names of the product tables senso reads and writes (defaults: domain.md)."""

    partners: str = "partners"  # [I]
    networks: str = "networks"
    orgs: str = "orgs"
    org_websites: str = "org_websites"  # [I]
    org_schedules: str = "org_schedules"  # [I]
    wholesale_pricing: str = "wholesale_pricing_configs"  # [I]
    geo_questions: str = "geo_questions"
    geo_models: str = "geo_models"
    org_locations: str = "org_locations"
    question_run_batches: str = "question_run_batches"
    question_runs: str = "question_runs"
    org_evals: str = "org_evals"  # [I]
    org_citations: str = "org_citations"
    org_competitors: str = "org_competitors"  # [I]
    credit_ledger: str = "credit_ledger"  # [I]
    credit_balances: str = "credit_balances"  # [I]
    is_shadow: bool = False

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, str] | None) -> Tables:
        """Defaults with the operator's overrides; unknown keys and unsafe names are refused."""
        known = set(logical_names())
        chosen: dict[str, Any] = {}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise InvalidInputError(
                    f"unknown table {key!r} in the table map",
                    hint=f"known tables: {', '.join(sorted(known))}",
                )
            name = str(value).strip().lower()
            if not _NAME.match(name) or name.startswith(SENSO_SCHEMA + "."):
                raise InvalidInputError(
                    f"table map: {key} = {value!r} is not a table name",
                    hint="use name or schema.name (letters, digits, _), outside schema senso",
                )
            chosen[key] = name
        return replace(cls(), **chosen)

    def shadow(self) -> Tables:
        """The same map with every table a batch writes redirected to senso's shadow copy."""
        return replace(self, is_shadow=True, **{name: shadow_name(name) for name in BATCH_WRITTEN})

    def for_batch(self, shadow: bool) -> Tables:
        return self.shadow() if shadow else self

    def product_items(self) -> list[tuple[str, str]]:
        """(logical name, physical name) of every product table."""
        return [(name, getattr(self, name)) for name in logical_names()]


def logical_names() -> list[str]:
    return [f.name for f in fields(Tables) if f.name != "is_shadow"]


def shadow_name(logical: str) -> str:
    return f"{SENSO_SCHEMA}.shadow_{logical}"


def split_name(physical: str) -> tuple[str, str]:
    """(schema, table) of a physical name; unqualified names live in `public`."""
    schema, _, table = physical.rpartition(".")
    return (schema or "public", table)
