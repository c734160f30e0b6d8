"""Share of voice: how much of an answer is about the org (domain §4).

SOV% = 100 × bytes(mention_text) / bytes(response_text), both UTF-8, with the ` || ` separators
of the mention text counted; 0 when the org is not mentioned. Rounded to 4 decimals.
"""

from __future__ import annotations


def share_of_voice(mention_text: str | None, response_text: str, *, mentioned: bool) -> float:
    """Percentage (0–100) of the answer's UTF-8 bytes taken by the mention passages."""
    if not mentioned or not mention_text:
        return 0.0
    response_bytes = len(response_text.encode("utf-8"))
    if response_bytes == 0:
        return 0.0
    return round(100.0 * len(mention_text.encode("utf-8")) / response_bytes, 4)
