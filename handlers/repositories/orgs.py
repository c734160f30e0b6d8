"""Reading orgs and everything their evaluation needs (websites, questions, models, locations)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from pydantic import BaseModel

from handlers.billing.ledger import balance_of, payer_for_org
from handlers.db.database import Database
from handlers.errors import InvalidInputError, NotFoundError


class Question(BaseModel):
    question_id: UUID
    text: str
    question_type: str
    tags: list[str]


class GeoModel(BaseModel):
    model_id: UUID
    name: str


class Location(BaseModel):
    location_id: UUID
    country_code: str
    region_name: str | None

    @property
    def label(self) -> str:
        return f"{self.region_name}, {self.country_code}" if self.region_name else self.country_code


class OrgSummary(BaseModel):
    org_id: UUID
    slug: str
    name: str
    partner: str
    is_free_tier: bool
    questions: int
    models: int
    locations: int
    schedule: list[int]
    balance: Decimal


class OrgDetails(BaseModel):
    org_id: UUID
    slug: str
    name: str
    industry: str | None
    is_free_tier: bool
    partner_id: UUID
    partner: str
    websites: list[str]
    questions: list[Question]
    models: list[GeoModel]
    locations: list[Location]
    schedule: list[int]
    payer_type: str
    balance: Decimal

    @property
    def matrix_size(self) -> int:
        return len(self.questions) * len(self.models) * len(self.locations)


def _as_uuid(ref: str) -> UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


class OrgRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    def resolve_id(
        self, conn: psycopg.Connection[Any], ref: str, *, names: bool = False
    ) -> UUID:
        """An org id from an id or a slug; with `names` (read commands only) then from the full
        name or a name prefix that fits one org, case-insensitive. NotFoundError otherwise."""
        as_id = _as_uuid(ref)
        row = conn.execute(
            "SELECT org_id FROM orgs WHERE (org_id = %s OR slug = %s) AND deleted_at IS NULL",
            (as_id, ref.strip().lower()),
        ).fetchone()
        if row is None and names and ref.strip():
            row = self._by_name(conn, ref.strip())
        if row is None:
            raise NotFoundError(
                f"no org {ref!r}",
                hint="`senso orgs list` shows the orgs; import with `senso orgs import`",
            )
        org_id: UUID = row["org_id"]
        return org_id

    def _by_name(self, conn: psycopg.Connection[Any], name: str) -> dict[str, Any] | None:
        pattern = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = conn.execute(
            "SELECT org_id, slug, name, lower(name) = lower(%s) AS exact FROM orgs "
            "WHERE deleted_at IS NULL AND lower(name) LIKE %s ORDER BY exact DESC, slug LIMIT 6",
            (name, pattern + "%"),
        ).fetchall()
        if rows and (rows[0]["exact"] or len(rows) == 1):
            found: dict[str, Any] = rows[0]
            return found
        if rows:
            candidates = ", ".join(f"{r['slug']} ({r['name']})" for r in rows[:5])
            raise InvalidInputError(
                f"org {name!r} is ambiguous: {candidates}",
                hint="give the slug, or more of the name",
            )
        return None

    def get(self, ref: str, *, names: bool = False) -> OrgDetails:
        with self._db.connect() as conn:
            return self.load(conn, self.resolve_id(conn, ref, names=names))

    def load(self, conn: psycopg.Connection[Any], org_id: UUID) -> OrgDetails:
        org = conn.execute(
            """SELECT o.*, p.name AS partner_name FROM orgs o
               JOIN partners p ON p.partner_id = o.partner_id WHERE o.org_id = %s""",
            (org_id,),
        ).fetchone()
        if org is None:
            raise NotFoundError(f"no org {org_id}", hint="see `senso orgs list`")
        websites = conn.execute(
            "SELECT url FROM org_websites WHERE org_id = %s ORDER BY position", (org_id,)
        ).fetchall()
        questions = conn.execute(
            """SELECT question_id, question_text AS text, question_type, tags FROM geo_questions
               WHERE org_id = %s AND retired_at IS NULL ORDER BY position""",
            (org_id,),
        ).fetchall()
        models = conn.execute(
            """SELECT model_id, name FROM geo_models WHERE org_id = %s AND retired_at IS NULL
               ORDER BY position""",
            (org_id,),
        ).fetchall()
        locations = conn.execute(
            """SELECT location_id, country_code, region_name FROM org_locations
               WHERE org_id = %s AND retired_at IS NULL ORDER BY position""",
            (org_id,),
        ).fetchall()
        schedule = conn.execute(
            "SELECT day_of_week FROM org_schedules WHERE org_id = %s ORDER BY day_of_week",
            (org_id,),
        ).fetchall()
        payer = payer_for_org(conn, org_id)
        return OrgDetails(
            org_id=org["org_id"],
            slug=org["slug"],
            name=org["name"],
            industry=org["industry"],
            is_free_tier=org["is_free_tier"],
            partner_id=org["partner_id"],
            partner=org["partner_name"],
            websites=[w["url"] for w in websites],
            questions=[Question(**q) for q in questions],
            models=[GeoModel(**m) for m in models],
            locations=[Location(**loc) for loc in locations],
            schedule=[s["day_of_week"] for s in schedule],
            payer_type=payer.payer_type,
            balance=balance_of(conn, payer.payer_type, payer.payer_id),
        )

    def list_all(self) -> list[OrgSummary]:
        with self._db.connect() as conn:
            rows = conn.execute(
                """SELECT o.org_id, o.slug, o.name, p.name AS partner, o.is_free_tier,
                     (SELECT count(*) FROM geo_questions q
                       WHERE q.org_id = o.org_id AND q.retired_at IS NULL) AS questions,
                     (SELECT count(*) FROM geo_models m
                       WHERE m.org_id = o.org_id AND m.retired_at IS NULL) AS models,
                     (SELECT count(*) FROM org_locations l
                       WHERE l.org_id = o.org_id AND l.retired_at IS NULL) AS locations,
                     coalesce((SELECT array_agg(day_of_week ORDER BY day_of_week)
                                 FROM org_schedules s WHERE s.org_id = o.org_id), '{}')
                       AS schedule,
                     coalesce(b.current_balance, 0) AS balance
                   FROM orgs o
                   JOIN partners p ON p.partner_id = o.partner_id
                   LEFT JOIN credit_balances b
                     ON (b.owner_type, b.owner_id) =
                        (CASE WHEN o.is_free_tier THEN 'PARTNER' ELSE 'ORG' END,
                         CASE WHEN o.is_free_tier THEN o.partner_id ELSE o.org_id END)
                   WHERE o.deleted_at IS NULL
                   ORDER BY o.slug"""
            ).fetchall()
        return [OrgSummary(**row) for row in rows]

    def scheduled_on(self, day_of_week: int) -> list[UUID]:
        with self._db.connect() as conn:
            rows = conn.execute(
                """SELECT s.org_id FROM org_schedules s JOIN orgs o ON o.org_id = s.org_id
                   WHERE s.day_of_week = %s AND o.deleted_at IS NULL ORDER BY o.slug""",
                (day_of_week,),
            ).fetchall()
        return [row["org_id"] for row in rows]
