"""The org file format (YAML or JSON), validated field by field before anything is written.

Ids are derived deterministically (UUIDv5) from the slug and the natural keys, so re-importing
the same file finds the same rows and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handlers.orgdata import DAY_NAMES as DAY_NAMES  # re-exported: importers read it here

# A fixed namespace so every installation derives the same ids from the same file.
SENSO_NAMESPACE = uuid.UUID("8a0c2d9e-6a5f-4f0b-9a55-2f5d3c1e7b10")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
QuestionType = Literal["brand-specific", "comparison", "topic", "rank"]


def derived_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(SENSO_NAMESPACE, ":".join(parts))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("must be lower-case letters, digits and hyphens (max 63)")
    return value


class PartnerSpec(_Strict):
    slug: str
    name: Annotated[str, Field(min_length=1)]
    fixed_price: Decimal | None = Field(default=None, gt=0)
    margin_pct: Decimal | None = Field(default=None, ge=0, lt=1)

    _slug = field_validator("slug")(_check_slug)

    @property
    def partner_id(self) -> uuid.UUID:
        return derived_id("partner", self.slug)


class QuestionSpec(_Strict):
    text: Annotated[str, Field(min_length=3, max_length=2000)]
    type: QuestionType = "topic"
    tags: list[str] = Field(default_factory=list)


class LocationSpec(_Strict):
    country: str
    region: str | None = None

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        code = value.upper()
        if code == "UK":
            code = "GB"
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise ValueError("must be a two-letter ISO 3166-1 country code, e.g. US")
        return code


class OrgSpec(_Strict):
    slug: str
    name: Annotated[str, Field(min_length=1, max_length=200)]
    org_id: uuid.UUID | None = None
    industry: str | None = None
    is_free_tier: bool = False
    partner: PartnerSpec
    websites: list[Annotated[str, Field(min_length=4)]] = Field(default_factory=list)
    questions: list[QuestionSpec] = Field(min_length=1)
    models: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    locations: list[LocationSpec] = Field(min_length=1)
    schedule: list[int | str] = Field(default_factory=list)
    credits: Decimal = Field(default=Decimal(0), ge=0)

    _slug = field_validator("slug")(_check_slug)

    @field_validator("websites")
    @classmethod
    def _websites(cls, values: list[str]) -> list[str]:
        for value in values:
            if " " in value or "." not in value:
                raise ValueError(f"{value!r} is not a website URL or domain")
        return values

    @field_validator("questions", mode="before")
    @classmethod
    def _question_shorthand(cls, values: Any) -> Any:
        # A bare string is shorthand for {text: ...}.
        if isinstance(values, list):
            return [{"text": v} if isinstance(v, str) else v for v in values]
        return values

    @field_validator("locations", mode="before")
    @classmethod
    def _location_shorthand(cls, values: Any) -> Any:
        # A bare string is shorthand for {country: ...}.
        if isinstance(values, list):
            return [{"country": v} if isinstance(v, str) else v for v in values]
        return values

    @field_validator("questions")
    @classmethod
    def _questions(cls, values: list[QuestionSpec]) -> list[QuestionSpec]:
        texts = [v.text for v in values]
        if len(set(texts)) != len(texts):
            raise ValueError("contains the same question twice")
        return values

    @field_validator("models")
    @classmethod
    def _models(cls, values: list[str]) -> list[str]:
        if len(set(values)) != len(values):
            raise ValueError("contains the same model twice")
        return values

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, values: list[int | str]) -> list[int | str]:
        for value in values:
            _day_number(value)
        return values

    @model_validator(mode="after")
    def _unique_locations(self) -> OrgSpec:
        keys = [(loc.country, loc.region) for loc in self.location_specs]
        if len(set(keys)) != len(keys):
            raise ValueError("locations: contains the same location twice")
        return self

    @property
    def id(self) -> uuid.UUID:
        return self.org_id or derived_id("org", self.slug)

    @property
    def question_specs(self) -> list[QuestionSpec]:
        return self.questions

    @property
    def location_specs(self) -> list[LocationSpec]:
        return self.locations

    @property
    def schedule_days(self) -> list[int]:
        return sorted({_day_number(v) for v in self.schedule})


def _day_number(value: int | str) -> int:
    """0 = Monday ... 6 = Sunday (the old scheduler's convention); names are accepted too."""
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
        raise ValueError(f"schedule day {value} is not 0 (Monday) .. 6 (Sunday)")
    lowered = value.strip().lower()
    for number, name in enumerate(DAY_NAMES):
        if lowered in (name, name[:3]):
            return number
    raise ValueError(f"schedule day {value!r} is not a weekday name or 0..6")


class OrgFile(_Strict):
    """A file holds one org, or several under `orgs:`."""

    orgs: list[OrgSpec] = Field(min_length=1)

    @classmethod
    def from_document(cls, document: Any) -> OrgFile:
        if isinstance(document, dict) and "orgs" not in document:
            document = {"orgs": [document]}
        return cls.model_validate(document)
