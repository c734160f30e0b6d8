"""The org's mention rank: where it first appears among the brands an answer names.

The legacy pipeline hard-coded rank 1 (weakness 1). Here the rank is the 1-based position of the
org among {org, competitors found in the answer}, ordered by first appearance; a competitor the
answer never spells out (an extractor may normalise names) takes no place in the order.
"""

from __future__ import annotations

from handlers.evaluation.mentions import find_mentions


def first_appearance(text: str, name: str) -> int | None:
    """Offset of the first word-bounded occurrence of `name` in `text`, outside URLs.

    A capitalised name must appear with a capital: "Front" the brand, not "up front".
    """
    spans = find_mentions(text, [name])
    if any(ch.isupper() for ch in name):
        spans = [s for s in spans if any(ch.isupper() for ch in s.text)]
    return spans[0].start if spans else None


def competitors_before(text: str, org_position: int | None, competitors: list[str]) -> list[str]:
    """The competitors the answer names before the org's first mention."""
    if org_position is None:
        return []
    earlier: list[str] = []
    for name in competitors:
        position = first_appearance(text, name)
        # A tie means the competitor is part of the org's own span; the org keeps its place.
        if position is not None and position < org_position:
            earlier.append(name)
    return earlier


def mention_rank(text: str, org_position: int | None, competitors: list[str]) -> int | None:
    """1 + the number of competitors that appear before the org; None when not mentioned."""
    if org_position is None:
        return None
    return len(competitors_before(text, org_position, competitors)) + 1
