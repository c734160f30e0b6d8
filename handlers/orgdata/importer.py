"""Import org files into PostgreSQL: validate everything first, then write in one transaction.

It writes the product tables, so it runs only in owned mode (senso built them); in external mode
the product owns its orgs and the import is refused. Every write is an upsert keyed on the
deterministic ids, and "changed" is counted from what the database really changed, so importing
the same file twice reports nothing changed. Questions, models and locations left out of a new
version of the file are deleted (their past question runs keep their ids and texts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import yaml
from pydantic import ValidationError

from handlers.billing.ledger import grant_credits
from handlers.db.database import Database
from handlers.db.migrate import require_owned
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError
from handlers.orgdata.schema import OrgFile, OrgSpec, derived_id


@dataclass
class ImportReport:
    orgs: list[str] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)

    def count(self, what: str, rows: int) -> None:
        if rows:
            self.changes[what] = self.changes.get(what, 0) + rows

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def load_org_file(path: Path) -> OrgFile:
    """Parse and validate a YAML or JSON org file; InvalidInputError names the bad field."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    return parse_org_document(text, source=str(path))


def parse_org_document(text: str, *, source: str) -> OrgFile:
    try:
        document: Any = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInputError(
            f"{source} is not valid {'JSON' if source.endswith('.json') else 'YAML'}: "
            f"{str(exc).splitlines()[0]}",
            hint="see docs/operator-guide.md for the org file format",
        ) from exc
    try:
        return OrgFile.from_document(document)
    except ValidationError as exc:
        raise InvalidInputError(
            f"{source}: {format_validation_error(exc)}",
            hint="see docs/operator-guide.md for the org file format",
        ) from exc


def format_validation_error(exc: ValidationError) -> str:
    """The first problem as `orgs[0].questions[2].text: <message>`."""
    problems = []
    for error in exc.errors():
        where = ""
        for part in error["loc"]:
            if isinstance(part, int):
                where += f"[{part}]"
            elif part in ("QuestionSpec", "LocationSpec", "str", "int"):
                continue
            else:
                where += f".{part}" if where else str(part)
        problems.append(f"{where or 'file'}: {error['msg']}")
    first = problems[0]
    more = len(problems) - 1
    return first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def demo_org_path() -> Path:
    return Path(str(resources.files("handlers.orgdata") / "demo.yaml"))


def import_orgs(db: Database, org_file: OrgFile) -> ImportReport:
    """Write the orgs into the product tables senso owns; refused in external mode."""
    report = ImportReport()
    with db.transaction() as conn:
        require_owned(conn, "orgs import")
        for spec in org_file.orgs:
            _import_org(conn, db.tables, spec, report)
            report.orgs.append(spec.slug)
    return report


def _import_org(
    conn: psycopg.Connection[Any], t: Tables, spec: OrgSpec, report: ImportReport
) -> None:
    partner = spec.partner
    taken = conn.execute(
        "SELECT org_id FROM senso.org_aliases WHERE slug = %s AND org_id <> %s",
        (spec.slug, spec.id),
    ).fetchone()
    if taken:
        raise InvalidInputError(f"org slug {spec.slug!r} already belongs to another org id")
    conn.execute(
        """INSERT INTO senso.org_aliases (slug, org_id) VALUES (%s, %s)
           ON CONFLICT (org_id) DO UPDATE SET slug = EXCLUDED.slug""",
        (spec.slug, spec.id),
    )
    report.count(
        "partners",
        conn.execute(
            f"""INSERT INTO {t.partners} (partner_id, slug, name) VALUES (%s, %s, %s)
                ON CONFLICT (partner_id) DO UPDATE SET name = EXCLUDED.name
                WHERE {t.partners}.name IS DISTINCT FROM EXCLUDED.name""",  # noqa: S608
            (partner.partner_id, partner.slug, partner.name),
        ).rowcount,
    )
    if partner.fixed_price is not None or partner.margin_pct is not None:
        report.count(
            "pricing",
            conn.execute(
                f"""INSERT INTO {t.wholesale_pricing}
                        (config_id, partner_id, action, wholesale_fixed_price,
                         wholesale_margin_pct)
                    VALUES (%s, %s, 'question_run', %s, %s)
                    ON CONFLICT (config_id) DO UPDATE
                      SET wholesale_fixed_price = EXCLUDED.wholesale_fixed_price,
                          wholesale_margin_pct = EXCLUDED.wholesale_margin_pct
                    WHERE ({t.wholesale_pricing}.wholesale_fixed_price,
                           {t.wholesale_pricing}.wholesale_margin_pct)
                          IS DISTINCT FROM (EXCLUDED.wholesale_fixed_price,
                                            EXCLUDED.wholesale_margin_pct)""",  # noqa: S608
                (
                    derived_id("pricing", partner.slug),
                    partner.partner_id,
                    partner.fixed_price,
                    partner.margin_pct,
                ),
            ).rowcount,
        )
    report.count(
        "orgs",
        conn.execute(
            f"""INSERT INTO {t.orgs} (org_id, name, partner_id, is_free_tier)
                VALUES (%s, %s, %s, %s)
                ON CONFLICT (org_id) DO UPDATE
                  SET name = EXCLUDED.name, partner_id = EXCLUDED.partner_id,
                      is_free_tier = EXCLUDED.is_free_tier, deleted_at = NULL
                WHERE ({t.orgs}.name, {t.orgs}.partner_id, {t.orgs}.is_free_tier,
                       {t.orgs}.deleted_at)
                      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.partner_id,
                                        EXCLUDED.is_free_tier, NULL)""",  # noqa: S608
            (spec.id, spec.name, partner.partner_id, spec.is_free_tier),
        ).rowcount,
    )
    _sync_websites(conn, t, spec, report)
    _sync_children(conn, t, spec, report)
    _sync_schedule(conn, t, spec, report)
    _opening_balance(conn, t, spec, report)


def _sync_websites(
    conn: psycopg.Connection[Any], t: Tables, spec: OrgSpec, report: ImportReport
) -> None:
    current = conn.execute(
        f"SELECT url FROM {t.org_websites} WHERE org_id = %s ORDER BY created_at, url",  # noqa: S608
        (spec.id,),
    ).fetchall()
    if [row["url"] for row in current] == spec.websites:
        return
    conn.execute(f"DELETE FROM {t.org_websites} WHERE org_id = %s", (spec.id,))  # noqa: S608
    for position, url in enumerate(spec.websites):
        conn.execute(
            f"""INSERT INTO {t.org_websites} (org_website_id, org_id, url, created_at)
                VALUES (%s, %s, %s, now() + %s * interval '1 microsecond')""",  # noqa: S608
            (derived_id(str(spec.id), "website", url), spec.id, url, position),
        )
    report.count("websites", max(len(spec.websites), 1))


def _sync_children(
    conn: psycopg.Connection[Any], t: Tables, spec: OrgSpec, report: ImportReport
) -> None:
    """Upsert questions, models and locations; the file's order is their creation order."""
    org = str(spec.id)
    # (table, id column, [(id, columns to set)]) for each kind of child.
    questions: list[tuple[UUID, dict[str, Any]]] = [
        (
            derived_id(org, "question", q.text),
            {"question_text": q.text, "type": q.type, "tags": q.tags},
        )
        for q in spec.question_specs
    ]
    models: list[tuple[UUID, dict[str, Any]]] = [
        (derived_id(org, "model", name), {"name": name}) for name in spec.models
    ]
    locations: list[tuple[UUID, dict[str, Any]]] = [
        (
            derived_id(org, "location", loc.country, loc.region or ""),
            {"country_code": loc.country, "region_name": loc.region},
        )
        for loc in spec.location_specs
    ]
    for kind, table, key, children in (
        ("questions", t.geo_questions, "geo_question_id", questions),
        ("models", t.geo_models, "geo_model_id", models),
        ("locations", t.org_locations, "org_location_id", locations),
    ):
        for position, (child_id, values) in enumerate(children):
            columns = list(values)
            # Column names come from the constant tuples above, never from input.
            inserted = conn.execute(
                f"""INSERT INTO {table} ({key}, org_id, {", ".join(columns)}, created_at)
                    VALUES (%s, %s, {", ".join(["%s"] * len(columns))},
                            now() + %s * interval '1 microsecond')
                    ON CONFLICT ({key}) DO NOTHING""",  # noqa: S608
                (child_id, spec.id, *values.values(), position),
            ).rowcount
            if not inserted and "type" in values:
                inserted = conn.execute(
                    f"""UPDATE {table} SET type = %s, tags = %s WHERE {key} = %s
                        AND (type, tags) IS DISTINCT FROM (%s, %s)""",  # noqa: S608
                    (values["type"], values["tags"], child_id, values["type"], values["tags"]),
                ).rowcount
            report.count(kind, inserted)
        removed = conn.execute(
            f"DELETE FROM {table} WHERE org_id = %s AND NOT ({key} = ANY(%s))",  # noqa: S608
            (spec.id, [child_id for child_id, _ in children]),
        ).rowcount
        report.count(f"removed {kind}", removed)


def _sync_schedule(
    conn: psycopg.Connection[Any], t: Tables, spec: OrgSpec, report: ImportReport
) -> None:
    days = spec.schedule_days
    current = conn.execute(
        f"SELECT day_of_week FROM {t.org_schedules} WHERE org_id = %s ORDER BY day_of_week",  # noqa: S608
        (spec.id,),
    ).fetchall()
    if [row["day_of_week"] for row in current] == days:
        return
    conn.execute(f"DELETE FROM {t.org_schedules} WHERE org_id = %s", (spec.id,))  # noqa: S608
    for day in days:
        conn.execute(
            f"INSERT INTO {t.org_schedules} (org_id, day_of_week) VALUES (%s, %s)",  # noqa: S608
            (spec.id, day),
        )
    report.count("schedule", max(len(days), 1))


def _opening_balance(
    conn: psycopg.Connection[Any], t: Tables, spec: OrgSpec, report: ImportReport
) -> None:
    """The file's `credits` are granted once, as the opening balance of the org's payer."""
    if spec.credits <= 0:
        return
    granted = grant_credits(
        conn,
        t,
        org_id=spec.id,
        amount=Decimal(spec.credits),
        source_type="opening_balance",
        source_id=str(spec.id),
        reason="opening balance from org import",
    )
    report.count("opening balance", 1 if granted else 0)
