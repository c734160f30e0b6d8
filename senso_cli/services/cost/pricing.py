"""The price book of `senso cost-estimate`: one entry per key, each with its unit, source URL,
date and whether it is an assumption rather than a confirmed list price.

AWS, Inngest and workload figures come from `senso_cli/data/pricing.toml` (or `--pricing`);
provider and LLM prices come from the one provider price table the running workflow charges
by (`handlers/providers/data/prices.toml`), so the estimate cannot drift from it. A pricing file
that names a provider price is refused.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from handlers.errors import InvalidInputError
from handlers.providers.pricing import TABLE as PROVIDER_PRICES
from handlers.providers.pricing import PriceTable

PRICING_FILE = "pricing.toml"


@dataclass(frozen=True)
class Price:
    key: str
    amount: float  # USD per unit, or a plain quantity (free tier, included executions)
    unit: str
    source: str
    as_of: str
    assumption: bool
    note: str = ""


@dataclass(frozen=True)
class PriceBook:
    prices: dict[str, Price]
    assumptions: dict[str, Any]
    region: str
    path: str  # the pricing file, and the provider price table beside it

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise InvalidInputError(
                f"the pricing file {self.path} has no price {key!r}",
                hint="restore the key or pass --pricing with a complete file",
            ) from None

    def usd(self, key: str) -> float:
        return self.price(key).amount

    def assume(self, key: str) -> Any:
        try:
            return self.assumptions[key]
        except KeyError:
            raise InvalidInputError(
                f"the pricing file {self.path} has no assumption {key!r}"
            ) from None


def default_path() -> Path:
    return Path(str(resources.files("senso_cli"))) / "data" / PRICING_FILE


def load_pricing(path: Path | None = None) -> PriceBook:
    """Read and check the table; every price must carry a source and a date."""
    target = path or default_path()
    try:
        raw = tomllib.loads(target.read_text())
    except OSError as exc:
        raise InvalidInputError(f"cannot read pricing file {target}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"pricing file {target} is not valid TOML: {exc}") from exc
    prices: dict[str, Price] = {}
    for key, entry in raw.get("prices", {}).items():
        missing = [f for f in ("unit", "source", "as_of") if not entry.get(f)]
        amount = entry.get("usd", entry.get("value"))
        if missing or not isinstance(amount, int | float):
            raise InvalidInputError(
                f"pricing file {target}: price {key!r} needs usd (or value), "
                + ", ".join(missing or ["a number"]),
                hint="every price carries its unit, source URL and date",
            )
        prices[key] = Price(
            key=key,
            amount=float(amount),
            unit=str(entry["unit"]),
            source=str(entry["source"]),
            as_of=str(entry["as_of"]),
            assumption=bool(entry.get("assumption", False)),
            note=str(entry.get("note", "")),
        )
    for key, price in provider_prices(PROVIDER_PRICES).items():
        if key in prices:
            raise InvalidInputError(
                f"pricing file {target} sets {key!r}, a provider price",
                hint=f"provider and LLM prices live in one table: {PROVIDER_PRICES.path}",
            )
        prices[key] = price
    meta = raw.get("meta", {})
    return PriceBook(
        prices=prices,
        assumptions=dict(raw.get("assumptions", {})),
        region=str(meta.get("region", "us-east-1")),
        path=f"{target} and {PROVIDER_PRICES.path}",
    )


def provider_prices(table: PriceTable) -> dict[str, Price]:
    """The provider table as price-book entries: `VENDOR.MODEL.input_token` /
    `.output_token` (USD per token) and one entry per fee (`brightdata.record`, ...)."""
    book: dict[str, Price] = {}
    for model, tokens in table.tokens.items():
        origin = table.provenance[f"tokens.{model}"]
        for side, per_million in (
            ("input", tokens.input_per_million),
            ("output", tokens.output_per_million),
        ):
            key = f"{origin.vendor or 'llm'}.{model}.{side}_token"
            book[key] = Price(
                key=key,
                amount=round(per_million / 1_000_000, 12),  # no float noise in a per-token price
                unit=f"{side} token (${per_million:.2f} per 1M)",
                source=origin.source,
                as_of=origin.as_of,
                assumption=origin.assumption,
                note=origin.note,
            )
    for key, usd in table.fees.items():
        origin = table.provenance[f"fees.{key}"]
        book[key] = Price(
            key=key,
            amount=usd,
            unit=origin.unit,
            source=origin.source,
            as_of=origin.as_of,
            assumption=origin.assumption,
            note=origin.note,
        )
    return book
