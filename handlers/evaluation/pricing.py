"""What one extraction call cost, from the one price table for every model senso pays for
(`handlers/providers/data/prices.toml`, read by `handlers.providers.pricing`).

A model is priced by its exact name, else the longest table key its name starts with, so
`gpt-4.1-mini-2025-04-14` is priced as gpt-4.1-mini and never as gpt-4.1 (weakness 7). An
unknown model costs 0 rather than aborting an evaluation (weakness 8); its tokens are still
recorded, so the cost can be recomputed later.
"""

from __future__ import annotations

from handlers.providers.pricing import find_price


def call_cost(model: str, input_tokens: int, output_tokens: int) -> float:
    """USD cost of one call, rounded to 10 decimals to keep float noise out of stored values."""
    price = find_price(model)
    if price is None:
        return 0.0
    cost = (
        input_tokens * price.input_per_million + output_tokens * price.output_per_million
    ) / 1_000_000
    return round(cost, 10)
