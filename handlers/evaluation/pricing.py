"""Prices of the extraction models, so every language-model call records what it cost.

Prices are USD per million tokens. A model is priced by the longest table key its name starts
with, so `gpt-4.1-mini-2025-04-14` is priced as gpt-4.1-mini and never as gpt-4.1 (weakness 7).
An unknown model costs 0 rather than aborting an evaluation (weakness 8); its tokens are still
recorded, so the cost can be recomputed later.
"""

from __future__ import annotations

from typing import NamedTuple


class ModelPrice(NamedTuple):
    input_per_million: float
    output_per_million: float


MODEL_PRICES: dict[str, ModelPrice] = {
    "gpt-4.1": ModelPrice(2.00, 8.00),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
    "gpt-4o": ModelPrice(2.50, 10.00),
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "gpt-5": ModelPrice(1.25, 10.00),
    "gpt-5-mini": ModelPrice(0.25, 2.00),
    "gpt-5-nano": ModelPrice(0.05, 0.40),
}


def price_for(model: str) -> ModelPrice | None:
    """The price of `model`, matched on the longest known prefix; None when unknown."""
    name = model.strip().lower()
    best: str | None = None
    for key in MODEL_PRICES:
        if name.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return MODEL_PRICES[best] if best is not None else None


def call_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    """USD cost of one call, rounded to 10 decimals to keep float noise out of stored values."""
    price = price_for(model)
    if price is None:
        return 0.0
    cost = (
        input_tokens * price.input_per_million + output_tokens * price.output_per_million
    ) / 1_000_000
    return round(cost, 10)
