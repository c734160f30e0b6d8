"""What an answer costs us: per-model token prices and per-search fees, in USD.

The old lookup tried "any key that prefixes the name" in Go map order, so a dated model id could
be priced differently from run to run, and gpt-4.1-mini was priced as gpt-4.1 (weakness 7).
Here the lookup is exact name first, then the *longest* table key that prefixes the name, so
"gpt-4.1-mini-2025-04-14" is priced as gpt-4.1-mini and "gpt-5-chat-latest" as gpt-5.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.errors import InvalidInputError


@dataclass(frozen=True)
class TokenPrice:
    """USD per one million input and output tokens."""

    input_per_million: float
    output_per_million: float


TOKEN_PRICES: dict[str, TokenPrice] = {
    "gpt-4.1": TokenPrice(2.0, 8.0),
    "gpt-4.1-mini": TokenPrice(0.40, 1.60),
    "gpt-4.1-nano": TokenPrice(0.10, 0.40),
    "gpt-4o": TokenPrice(2.5, 10.0),
    "gpt-4o-2024-08-06": TokenPrice(2.5, 10.0),
    "gpt-4o-mini": TokenPrice(0.15, 0.60),
    "gpt-5.2": TokenPrice(1.75, 14.0),
    "gpt-5.1": TokenPrice(1.25, 10.0),
    "gpt-5": TokenPrice(1.25, 10.0),
    "gpt-5-mini": TokenPrice(0.25, 2.0),
    "gpt-5-nano": TokenPrice(0.05, 0.40),
    "claude-sonnet-4-20250514": TokenPrice(3.0, 15.0),
    # Anthropic list prices; a dated id is priced by its family through the prefix rule.
    "claude-sonnet-4": TokenPrice(3.0, 15.0),
    "claude-opus-4": TokenPrice(15.0, 75.0),
    "claude-opus-4-5": TokenPrice(5.0, 25.0),
    "claude-haiku-4-5": TokenPrice(1.0, 5.0),
    "claude-3-7-sonnet": TokenPrice(3.0, 15.0),
    "claude-3-5-haiku": TokenPrice(0.80, 4.0),
    "claude-3-haiku": TokenPrice(0.25, 1.25),
    "sonar": TokenPrice(1.0, 1.0),
}

WEB_SEARCH_FEE_USD: dict[str, float] = {
    "openai": 10.0 / 1000,
    "anthropic": 10.0 / 1000,
    "perplexity": 8.0 / 1000,
    "linkup": 5.5 / 1000,
}
"""Fee per web search call (the vendors price them per 1,000)."""

BRIGHTDATA_COST_PER_RECORD_USD = 0.0015
LINKUP_COST_PER_ANSWER_USD = WEB_SEARCH_FEE_USD["linkup"]
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
            hint=f"add it to TOKEN_PRICES; priced models: {', '.join(sorted(TOKEN_PRICES))}",
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
