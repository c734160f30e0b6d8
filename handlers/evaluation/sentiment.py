"""Sentiment of the mention passages, by a small lexicon, and normalisation of model labels.

The lexicon is tuned to how AI answers describe banks, credit unions and software vendors:
recommendations and strengths are positive, complaints, fees and regulatory trouble negative.
A negator ("not", "no", "never", "without", "n't") shortly before a term flips it, so
"no hidden fees" reads positive and "not recommended" negative. Labels are lower-case
"positive" | "neutral" | "negative"; a model's free-text label is mapped onto the same set.
"""

from __future__ import annotations

import re

from handlers.evaluation.models import Sentiment

_POSITIVE_TERMS_WORDS = """
best excellent great top top-rated leading leader recommended recommend strong competitive
reliable trusted trustworthy popular highly award-winning award awards user-friendly
convenient innovative robust outstanding standout stands ideal good reputable favorable
favourable generous attractive excels praised renowned well-regarded well-known respected
seamless easy intuitive secure affordable flexible personalized personalised exceptional
superior solid impressive valuable benefit benefits advantage advantages perks rewards
friendly helpful responsive efficient fast quick low-cost free no-fee fee-free comprehensive
strength strengths notable favorite favourite loved love satisfaction satisfied high-yield
accessible transparent stable safe powerful versatile excel thrives pioneer
"""
POSITIVE_TERMS = frozenset(_POSITIVE_TERMS_WORDS.split())
_NEGATIVE_TERMS_WORDS = """
poor bad worst avoid complaint complaints lawsuit lawsuits fined fines penalty penalties
scandal fraud breach breaches outage outages slow unreliable negative expensive costly
difficult frustrating frustrated drawback drawbacks downside downsides criticized criticised
criticism issues problems problem lacks lacking limited hidden overdraft declined decline
struggling struggled controversy controversial investigation sanctions sanctioned misleading
unfair weak weakness weaknesses disappointing mediocre clunky outdated confusing delays
delayed glitches buggy concerns concern risky warning lower-rated unresponsive rude layoffs
closures failed failure bankrupt bankruptcy shut worse inferior
"""
NEGATIVE_TERMS = frozenset(_NEGATIVE_TERMS_WORDS.split())
_NEGATORS = frozenset({"not", "no", "never", "without", "nor", "neither", "lacks", "isn't"})
_NEGATION_WINDOW = 3
_WORD = re.compile(r"[a-z][a-z'-]*")


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def lexicon_score(text: str) -> int:
    """Positive minus negative term count, with negated terms counted the other way."""
    score = 0
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        polarity = (token in POSITIVE_TERMS) - (token in NEGATIVE_TERMS)
        if polarity == 0:
            continue
        window = tokens[max(0, index - _NEGATION_WINDOW) : index]
        if any(w in _NEGATORS or w.endswith("n't") for w in window):
            polarity = -polarity
        score += polarity
    return score


def passage_sentiment(passages: list[str]) -> Sentiment:
    """Overall sentiment of the passages about the org."""
    score = sum(lexicon_score(passage) for passage in passages)
    if score > 0:
        return "positive"
    if score < 0:
        return "negative"
    return "neutral"


def normalise_sentiment(label: str | None) -> Sentiment | None:
    """Map a free-text label ("Positive", "mostly negative", "mixed") onto the three labels."""
    if label is None or not label.strip():
        return None
    value = label.strip().lower()
    if "negative" in value and "positive" not in value:
        return "negative"
    if "positive" in value and "negative" not in value:
        return "positive"
    return "neutral"
