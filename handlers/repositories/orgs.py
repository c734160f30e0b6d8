"""Reading orgs and everything their evaluation needs (websites, questions, models, locations)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from handlers.billing.ledger import balance_of, payer_for_org
from handlers.db.database import Database
from handlers.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class Question:
    question_id: UUID
    text: str
    question_type: str


@dataclass(frozen=True)
class GeoModel:
    model_id: UUID
    name: str


@dataclass(frozen=True)
class Location:
    location_id: UUID
    country_code: str
    region_name: str | None

    @property
    def label(self) -> str:
        return f"{self.region_name}, {self.country_code}" if self.region_name else self.country_code


@dataclass(frozen=True)
class OrgSummary:
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


@dataclass(frozen=True)
class OrgDetails:
    org_id: UUID
    slug: str
    name: str
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


def json_data(record: OrgSummary | OrgDetails) -> dict[str, Any]:
    """A record as JSON data: ids and amounts as strings (an amount keeps its six decimals)."""

    def plain(value: Any) -> Any:
        if isinstance(value, (UUID, Decimal)):
            return str(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    data: dict[str, Any] = plain(asdict(record))
    return data


def _as_uuid(ref: str) -> UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


class OrgRepository:
    """Reads the product's org tables; the slug is senso's alias (senso.org_aliases)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._t = db.tables

    def resolve_id(
        self, conn: psycopg.Connection[Any], ref: str, *, names: bool = False
    ) -> UUID:
        """An org id from an id, a senso alias or the org's exact name; with `names` (read
        commands only) then from a name prefix that fits one org, case-insensitive.
        NotFoundError otherwise. Deleted orgs resolve too, so that `load` can refuse them by
        name rather than claim they do not exist.
        """
        t = self._t
        as_id = _as_uuid(ref)
        row = conn.execute(
            f"""SELECT o.org_id FROM {t.orgs} o
                LEFT JOIN senso.org_aliases a ON a.org_id = o.org_id
                WHERE o.org_id = %(id)s OR a.slug = %(slug)s
                ORDER BY o.deleted_at NULLS FIRST LIMIT 1""",  # noqa: S608
            {"id": as_id, "slug": ref.strip().lower()},
        ).fetchone()
        if row is None:
            rows = conn.execute(
                f"SELECT org_id FROM {t.orgs} WHERE lower(name) = %s AND deleted_at IS NULL",  # noqa: S608
                (ref.strip().lower(),),
            ).fetchall()
            if len(rows) == 1:
                row = rows[0]
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
            f"""SELECT o.org_id, coalesce(a.slug, o.org_id::text) AS slug, o.name,
                       lower(o.name) = lower(%s) AS exact
                FROM {self._t.orgs} o LEFT JOIN senso.org_aliases a ON a.org_id = o.org_id
                WHERE o.deleted_at IS NULL AND lower(o.name) LIKE %s
                ORDER BY exact DESC, slug LIMIT 6""",  # noqa: S608
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
        """Everything an evaluation needs; a deleted org (deleted_at) is refused (InvalidInput)."""
        t = self._t
        org = conn.execute(
            f"""SELECT o.org_id, o.name, o.partner_id, o.is_free_tier, o.deleted_at,
                       p.name AS partner_name, a.slug
                FROM {t.orgs} o
                LEFT JOIN {t.partners} p ON p.partner_id = o.partner_id
                LEFT JOIN senso.org_aliases a ON a.org_id = o.org_id
                WHERE o.org_id = %s""",  # noqa: S608
            (org_id,),
        ).fetchone()
        if org is None:
            raise NotFoundError(f"no org {org_id}", hint="see `senso orgs list`")
        if org["deleted_at"] is not None:
            raise InvalidInputError(
                f"org {org['slug'] or org_id} was deleted on {org['deleted_at']:%Y-%m-%d}; "
                "deleted orgs are not evaluated",
                hint="restore it in the product (deleted_at = NULL) to evaluate it again",
            )
        websites = conn.execute(
            f"SELECT url FROM {t.org_websites} WHERE org_id = %s ORDER BY created_at, url",  # noqa: S608
            (org_id,),
        ).fetchall()
        questions = conn.execute(
            f"""SELECT geo_question_id AS question_id, question_text AS text,
                       coalesce(type, 'topic') AS question_type
                FROM {t.geo_questions} WHERE org_id = %s
                ORDER BY created_at, geo_question_id""",  # noqa: S608
            (org_id,),
        ).fetchall()
        models = conn.execute(
            f"""SELECT geo_model_id AS model_id, name FROM {t.geo_models} WHERE org_id = %s
                ORDER BY created_at, geo_model_id""",  # noqa: S608
            (org_id,),
        ).fetchall()
        locations = conn.execute(
            f"""SELECT org_location_id AS location_id, country_code, region_name
                FROM {t.org_locations} WHERE org_id = %s
                ORDER BY created_at, org_location_id""",  # noqa: S608
            (org_id,),
        ).fetchall()
        schedule = conn.execute(
            f"SELECT DISTINCT day_of_week FROM {t.org_schedules} WHERE org_id = %s "  # noqa: S608
            "ORDER BY day_of_week",
            (org_id,),
        ).fetchall()
        payer = payer_for_org(conn, t, org_id)
        return OrgDetails(
            org_id=org["org_id"],
            slug=org["slug"] or str(org["org_id"]),
            name=org["name"],
            is_free_tier=org["is_free_tier"],
            partner_id=org["partner_id"],
            partner=org["partner_name"] or str(org["partner_id"]),
            websites=[w["url"] for w in websites],
            questions=[Question(**q) for q in questions],
            models=[GeoModel(**m) for m in models],
            locations=[
                Location(
                    location_id=loc["location_id"],
                    country_code=loc["country_code"].strip(),
                    region_name=loc["region_name"],
                )
                for loc in locations
            ],
            schedule=[int(s["day_of_week"]) for s in schedule],
            payer_type=payer.payer_type,
            balance=balance_of(conn, t, payer.payer_type, payer.payer_id),
        )

    def list_all(self) -> list[OrgSummary]:
        t = self._t
        with self._db.connect() as conn:
            rows = conn.execute(
                f"""SELECT o.org_id, coalesce(a.slug, o.org_id::text) AS slug, o.name,
                     coalesce(p.name, o.partner_id::text, '') AS partner, o.is_free_tier,
                     (SELECT count(*) FROM {t.geo_questions} q WHERE q.org_id = o.org_id)
                       AS questions,
                     (SELECT count(*) FROM {t.geo_models} m WHERE m.org_id = o.org_id) AS models,
                     (SELECT count(*) FROM {t.org_locations} l WHERE l.org_id = o.org_id)
                       AS locations,
                     coalesce((SELECT array_agg(DISTINCT s.day_of_week::int)
                                 FROM {t.org_schedules} s WHERE s.org_id = o.org_id), '{{}}')
                       AS schedule,
                     coalesce((SELECT sum(b.current_balance) FROM {t.credit_balances} b
                               WHERE CASE WHEN o.is_free_tier
                                          THEN b.partner_id = o.partner_id AND b.org_id IS NULL
                                          ELSE b.org_id = o.org_id END), 0) AS balance
                   FROM {t.orgs} o
                   LEFT JOIN {t.partners} p ON p.partner_id = o.partner_id
                   LEFT JOIN senso.org_aliases a ON a.org_id = o.org_id
                   WHERE o.deleted_at IS NULL
                   ORDER BY 2"""  # noqa: S608
            ).fetchall()
        return [OrgSummary(**row) for row in rows]

    def scheduled_on(self, day_of_week: int) -> list[UUID]:
        t = self._t
        with self._db.connect() as conn:
            rows = conn.execute(
                f"""SELECT DISTINCT s.org_id, coalesce(a.slug, s.org_id::text) AS slug
                    FROM {t.org_schedules} s JOIN {t.orgs} o ON o.org_id = s.org_id
                    LEFT JOIN senso.org_aliases a ON a.org_id = o.org_id
                    WHERE s.day_of_week = %s AND o.deleted_at IS NULL ORDER BY 2""",  # noqa: S608
                (day_of_week,),
            ).fetchall()
        return [row["org_id"] for row in rows]
