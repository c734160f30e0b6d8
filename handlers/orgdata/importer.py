"""Import org files into PostgreSQL: validate everything first, then write in one transaction.

Every write is an upsert keyed on the deterministic ids, and "changed" is counted from what the
database really changed, so importing the same file twice reports nothing changed. Questions,
models and locations left out of a new version of the file are retired (kept for history: old
question runs point at them), and come back if the file lists them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg
import yaml
from pydantic import ValidationError

from handlers.db.database import Database
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
    report = ImportReport()
    with db.transaction() as conn:
        for spec in org_file.orgs:
            _import_org(conn, spec, report)
            report.orgs.append(spec.slug)
    return report


def _import_org(conn: psycopg.Connection[Any], spec: OrgSpec, report: ImportReport) -> None:
    partner = spec.partner
    taken = conn.execute(
        "SELECT org_id FROM orgs WHERE slug = %s AND org_id <> %s", (spec.slug, spec.id)
    ).fetchone()
    if taken:
        raise InvalidInputError(f"org slug {spec.slug!r} already belongs to another org id")
    report.count(
        "partners",
        conn.execute(
            """INSERT INTO partners (partner_id, slug, name) VALUES (%s, %s, %s)
               ON CONFLICT (partner_id) DO UPDATE SET name = EXCLUDED.name
               WHERE partners.name IS DISTINCT FROM EXCLUDED.name""",
            (partner.partner_id, partner.slug, partner.name),
        ).rowcount,
    )
    if partner.fixed_price is not None or partner.margin_pct is not None:
        report.count(
            "pricing",
            conn.execute(
                """INSERT INTO pricing_configs
                       (partner_id, action, wholesale_fixed_price, wholesale_margin_pct)
                   VALUES (%s, 'question_run', %s, %s)
                   ON CONFLICT (partner_id, action) DO UPDATE
                     SET wholesale_fixed_price = EXCLUDED.wholesale_fixed_price,
                         wholesale_margin_pct = EXCLUDED.wholesale_margin_pct
                   WHERE (pricing_configs.wholesale_fixed_price,
                          pricing_configs.wholesale_margin_pct)
                         IS DISTINCT FROM (EXCLUDED.wholesale_fixed_price,
                                           EXCLUDED.wholesale_margin_pct)""",
                (partner.partner_id, partner.fixed_price, partner.margin_pct),
            ).rowcount,
        )
    report.count(
        "orgs",
        conn.execute(
            """INSERT INTO orgs (org_id, slug, name, partner_id, is_free_tier, industry)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (org_id) DO UPDATE
                 SET slug = EXCLUDED.slug, name = EXCLUDED.name,
                     partner_id = EXCLUDED.partner_id, is_free_tier = EXCLUDED.is_free_tier,
                     industry = EXCLUDED.industry, updated_at = now(), deleted_at = NULL
               WHERE (orgs.slug, orgs.name, orgs.partner_id, orgs.is_free_tier, orgs.industry,
                      orgs.deleted_at)
                     IS DISTINCT FROM (EXCLUDED.slug, EXCLUDED.name, EXCLUDED.partner_id,
                                       EXCLUDED.is_free_tier, EXCLUDED.industry, NULL)""",
            (spec.id, spec.slug, spec.name, partner.partner_id, spec.is_free_tier, spec.industry),
        ).rowcount,
    )
    _sync_websites(conn, spec, report)
    _sync_children(conn, spec, report)
    _sync_schedule(conn, spec, report)
    _opening_balance(conn, spec, report)


def _sync_websites(conn: psycopg.Connection[Any], spec: OrgSpec, report: ImportReport) -> None:
    current = conn.execute(
        "SELECT url FROM org_websites WHERE org_id = %s ORDER BY position", (spec.id,)
    ).fetchall()
    if [row["url"] for row in current] == spec.websites:
        return
    conn.execute("DELETE FROM org_websites WHERE org_id = %s", (spec.id,))
    for position, url in enumerate(spec.websites):
        conn.execute(
            "INSERT INTO org_websites (org_id, url, position) VALUES (%s, %s, %s)",
            (spec.id, url, position),
        )
    report.count("websites", max(len(spec.websites), 1))


def _sync_children(conn: psycopg.Connection[Any], spec: OrgSpec, report: ImportReport) -> None:
    org = str(spec.id)
    question_ids = []
    for position, question in enumerate(spec.question_specs):
        qid = derived_id(org, "question", question.text)
        question_ids.append(qid)
        report.count(
            "questions",
            conn.execute(
                """INSERT INTO geo_questions
                       (question_id, org_id, question_text, question_type, tags, position)
                   VALUES (%s, %s, %s, %s, %s, %s)
                   ON CONFLICT (question_id) DO UPDATE
                     SET question_type = EXCLUDED.question_type, tags = EXCLUDED.tags,
                         position = EXCLUDED.position, retired_at = NULL
                   WHERE (geo_questions.question_type, geo_questions.tags,
                          geo_questions.position, geo_questions.retired_at)
                         IS DISTINCT FROM (EXCLUDED.question_type, EXCLUDED.tags,
                                           EXCLUDED.position, NULL)""",
                (qid, spec.id, question.text, question.type, question.tags, position),
            ).rowcount,
        )
    model_ids = []
    for position, name in enumerate(spec.models):
        mid = derived_id(org, "model", name)
        model_ids.append(mid)
        report.count(
            "models",
            conn.execute(
                """INSERT INTO geo_models (model_id, org_id, name, position)
                   VALUES (%s, %s, %s, %s)
                   ON CONFLICT (model_id) DO UPDATE
                     SET position = EXCLUDED.position, retired_at = NULL
                   WHERE (geo_models.position, geo_models.retired_at)
                         IS DISTINCT FROM (EXCLUDED.position, NULL)""",
                (mid, spec.id, name, position),
            ).rowcount,
        )
    location_ids = []
    for position, loc in enumerate(spec.location_specs):
        lid = derived_id(org, "location", loc.country, loc.region or "")
        location_ids.append(lid)
        report.count(
            "locations",
            conn.execute(
                """INSERT INTO org_locations
                       (location_id, org_id, country_code, region_name, position)
                   VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (location_id) DO UPDATE
                     SET position = EXCLUDED.position, retired_at = NULL
                   WHERE (org_locations.position, org_locations.retired_at)
                         IS DISTINCT FROM (EXCLUDED.position, NULL)""",
                (lid, spec.id, loc.country, loc.region, position),
            ).rowcount,
        )
    for table, key, ids in (
        ("geo_questions", "question_id", question_ids),
        ("geo_models", "model_id", model_ids),
        ("org_locations", "location_id", location_ids),
    ):
        # Table and key names come from the constant tuple above, never from input.
        retired = conn.execute(
            f"UPDATE {table} SET retired_at = now() "  # noqa: S608
            f"WHERE org_id = %s AND retired_at IS NULL AND NOT ({key} = ANY(%s))",
            (spec.id, ids),
        ).rowcount
        report.count(f"retired {table}", retired)


def _sync_schedule(conn: psycopg.Connection[Any], spec: OrgSpec, report: ImportReport) -> None:
    days = spec.schedule_days
    current = conn.execute(
        "SELECT day_of_week FROM org_schedules WHERE org_id = %s ORDER BY day_of_week", (spec.id,)
    ).fetchall()
    if [row["day_of_week"] for row in current] == days:
        return
    conn.execute("DELETE FROM org_schedules WHERE org_id = %s", (spec.id,))
    for day in days:
        conn.execute(
            "INSERT INTO org_schedules (org_id, day_of_week) VALUES (%s, %s)", (spec.id, day)
        )
    report.count("schedule", max(len(days), 1))


def _opening_balance(conn: psycopg.Connection[Any], spec: OrgSpec, report: ImportReport) -> None:
    """The file's `credits` are granted once, as the opening balance of the org's payer."""
    if spec.credits <= 0:
        return
    from handlers.billing.ledger import grant_credits

    granted = grant_credits(
        conn,
        org_id=spec.id,
        amount=Decimal(spec.credits),
        source_type="opening_balance",
        source_id=str(spec.id),
        reason="opening balance from org import",
    )
    report.count("opening balance", 1 if granted else 0)
