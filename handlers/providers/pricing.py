"""What an answer costs us: per-model token prices and per-search fees, in USD.

The old lookup tried "any key that prefixes the name" in Go map order, so a dated model id could
be priced differently from run to run, and gpt-4.1-mini was priced as gpt-4.1 (weakness 7).
Here the lookup is exact name first, then the *longest* table key that prefixes the name, so
"gpt-4.1-mini-2025-04-14" is priced as gpt-4.1-mini and "gpt-5-chat-latest" as gpt-5.

The prices are data, not code: `handlers/providers/data/prices.toml` is the one table, with a
source and a date per price, read here for the providers, by handlers.evaluation.pricing for
extraction calls, and by `senso cost-estimate` for its provider lines.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from handlers.errors import InvalidInputError

PRICES_FILE = "data/prices.toml"


@dataclass(frozen=True)
class TokenPrice:
    """USD per one million input and output tokens."""

    input_per_million: float
    output_per_million: float


@dataclass(frozen=True)
class Provenance:
    """Where a price comes from: `senso cost-estimate` shows it beside every line."""

    source: str
    as_of: str
    assumption: bool
    unit: str = ""
    note: str = ""
    vendor: str = ""


@dataclass(frozen=True)
class PriceTable:
    """The provider and LLM price table (`handlers/providers/data/prices.toml`)."""

    tokens: dict[str, TokenPrice]
    fees: dict[str, float]  # "openai.web_search", "brightdata.record", ... -> USD per call
    provenance: dict[str, Provenance]  # "tokens.<model>" and "fees.<key>"
    path: str


def default_path() -> Path:
    return Path(str(resources.files("handlers.providers").joinpath(PRICES_FILE)))


def load_table(path: Path | None = None) -> PriceTable:
    """Read and check the table: every price is a number with a source and a date."""
    target = path or default_path()
    try:
        raw = tomllib.loads(target.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(f"cannot read the provider price table {target}: {exc}") from exc
    tokens: dict[str, TokenPrice] = {}
    fees: dict[str, float] = {}
    provenance: dict[str, Provenance] = {}
    for model, entry in raw.get("tokens", {}).items():
        numbers = (entry.get("input_per_million"), entry.get("output_per_million"))
        _check(target, f"tokens.{model}", entry, numbers)
        tokens[model.lower()] = TokenPrice(float(numbers[0]), float(numbers[1]))
        provenance[f"tokens.{model.lower()}"] = _provenance(entry)
    for key, entry in raw.get("fees", {}).items():
        _check(target, f"fees.{key}", entry, (entry.get("usd"),))
        fees[key] = float(entry["usd"])
        provenance[f"fees.{key}"] = _provenance(entry)
    return PriceTable(tokens=tokens, fees=fees, provenance=provenance, path=str(target))


def _check(target: Path, key: str, entry: dict[str, Any], numbers: tuple[Any, ...]) -> None:
    missing = [f for f in ("source", "as_of") if not entry.get(f)]
    if missing or not all(isinstance(n, int | float) and n >= 0 for n in numbers):
        raise InvalidInputError(
            f"provider price table {target}: {key} needs its prices, "
            + ", ".join(missing or ["as non-negative numbers"]),
            hint="every price carries a source and the date it was read",
        )


def _provenance(entry: dict[str, Any]) -> Provenance:
    return Provenance(
        source=str(entry["source"]),
        as_of=str(entry["as_of"]),
        assumption=bool(entry.get("assumption", False)),
        unit=str(entry.get("unit", "")),
        note=str(entry.get("note", "")),
        vendor=str(entry.get("vendor", "")),
    )


TABLE = load_table()
TOKEN_PRICES: dict[str, TokenPrice] = TABLE.tokens

WEB_SEARCH_FEE_USD: dict[str, float] = {
    vendor: TABLE.fees[f"{vendor}.web_search"] for vendor in ("openai", "anthropic", "perplexity")
}
"""Fee per web search call (the vendors price them per 1,000)."""

BRIGHTDATA_COST_PER_RECORD_USD = TABLE.fees["brightdata.record"]
LINKUP_COST_PER_ANSWER_USD = TABLE.fees["linkup.answer"]
"""Linkup bills a standard-depth sourced answer as one search ($5.5 per 1,000)."""


class UnpricedModelError(InvalidInputError):
    """A model we would pay for has no price, so its cost would be a guess."""


def find_price(model: str) -> TokenPrice | None:
    """The price of `model`: exact key, else the longest key that prefixes it, else None."""
    name = model.strip().lower()
    exact = TOKEN_PRICES.get(name)
    if exact is not None:
        return exact
    prefixes = [key for key in TOKEN_PRICES if name.startswith(key)]
    if not prefixes:
        return None
    # Longest first; ties are impossible between distinct keys of equal length that both
    # prefix the same name, so this choice is fully deterministic.
    return TOKEN_PRICES[max(prefixes, key=len)]


def require_price(model: str) -> TokenPrice:
    """`find_price`, raising `UnpricedModelError` when the model is not in the table."""
    price = find_price(model)
    if price is None:
        raise UnpricedModelError(
            f"no token price for model {model!r}",
            hint=f"add it to {TABLE.path}; priced models: {', '.join(sorted(TOKEN_PRICES))}",
        )
    return price


def token_cost(price: TokenPrice, input_tokens: int, output_tokens: int) -> float:
    """USD for the given token counts."""
    return (
        input_tokens * price.input_per_million + output_tokens * price.output_per_million
    ) / 1_000_000


def openai_answer_cost(
    model: str, input_tokens: int, output_tokens: int, *, web_searches: int = 1
) -> float:
    """Tokens priced by `model` plus the OpenAI web-search fee per search call."""
    return token_cost(require_price(model), input_tokens, output_tokens) + (
        web_searches * WEB_SEARCH_FEE_USD["openai"]
    )


def anthropic_answer_cost(
    model: str, input_tokens: int, output_tokens: int, *, web_searches: int = 0
) -> float:
    """Tokens priced by `model` plus Anthropic's web-search fee per search the answer ran."""
    return token_cost(require_price(model), input_tokens, output_tokens) + (
        web_searches * WEB_SEARCH_FEE_USD["anthropic"]
    )
