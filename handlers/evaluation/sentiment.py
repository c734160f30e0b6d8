"""Sentiment toward the org, judged on the passages about it, and normalisation of model labels.

The passages are scored with VADER (the `vadersentiment` package), sentence by sentence, with
its lexicon extended by the vocabulary of AI answers about businesses: "low fees" and "no
fees" are praise, fines, lawsuits, outages and surprise charges are complaints, "stands out"
and "hard to beat" are recommendations. Before scoring, the org's own name is masked (a brand
called "Progressive" or "Summit" says nothing about itself) and sentences in the assistant's
first person ("I could not find ...") and questions are left out: they are about the answer,
not the org. Capitalised words inside a sentence are names ("Hilton Honors") and are masked too.
A star rating next to the org (★ 4.7 (3,214 reviews), "2.3 out of 5") counts for or against
it, and so (+0.4) does being named at all in an answer framed as a recommendation ("the best
credit unions for...", "top picks"), where a line of plain facts is still an endorsement. The
summed score is positive above +0.3, negative below -0.3, neutral between.

Labels are lower-case "positive" | "neutral" | "negative"; a model's free-text label is mapped
onto the same set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from handlers.evaluation.models import Sentiment

POSITIVE_THRESHOLD = 0.3
# Being named in an answer framed as a recommendation ("the best credit unions are...")
# speaks for the org even when its own line is only facts.
RECOMMENDATION_WEIGHT = 0.4
NEGATIVE_THRESHOLD = -0.3
# A rating counts like one clearly positive or negative sentence.
RATING_WEIGHT = 0.6
GOOD_RATING = 4.0
POOR_RATING = 3.0

# Valences on VADER's -4..+4 scale for words its general-purpose lexicon lacks or misreads here.
# fmt: off
DOMAIN_TERMS: dict[str, float] = {
    # praise and recommendation
    "recommended": 1.8, "standout": 2.0, "unbeatable": 2.5, "toppick": 2.5,
    "top-rated": 2.5, "award-winning": 2.5, "well-regarded": 2.0, "well-reviewed": 2.0,
    "well-run": 2.0, "best-known": 1.5, "well-known": 1.2, "reputable": 2.0,
    "favourite": 2.0, "rave": 2.5, "raves": 2.5, "leading": 1.2, "leader": 1.2,
    "leaders": 1.2, "competitive": 1.5, "feefree": 1.8, "inexpensive": 1.5,
    "low-cost": 1.5, "cheapest": 1.2, "painless": 1.5, "polished": 1.5, "responsive": 1.5,
    "intuitive": 1.5, "seamless": 1.5, "user-friendly": 2.0, "efficient": 1.5,
    "generous": 2.0, "perks": 1.2, "convenient": 1.5,
    # complaints and trouble
    "fined": -2.0, "lawsuit": -2.0, "lawsuits": -2.0, "class-action": -1.5, "outage": -1.5,
    "outages": -1.5, "upselling": -1.5, "unresolved": -1.5, "disparities": -1.2,
    "delays": -1.2, "waits": -1.0, "slow": -1.2, "expensive": -1.2, "costly": -1.2,
    "pricey": -1.0, "clunky": -1.5, "outdated": -1.2, "buggy": -1.5, "glitches": -1.5,
    "investigation": -1.2, "ransomware": -1.2, "overdraft": -0.5, "frozen": -1.0,
    "confusing": -1.5,
    # general-purpose words that are facts here ("low rates", "interest", "Yes" in a table)
    "low": 0.0, "surprise": 0.0, "fine": 0.2, "hard": 0.0, "free": 1.5, "strike": -0.5,
    "interest": 0.0, "block": 0.0, "approved": 0.0, "charges": 0.0, "charge": 0.0,
    "credit": 0.0, "yes": 0.0, "no": 0.0,
}
# fmt: on
# Phrases rewritten to one token of DOMAIN_TERMS before scoring.
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bstands?\s+out\b", re.I), "standout"),
    (re.compile(r"\bhard\s+to\s+beat\b", re.I), "unbeatable"),
    (re.compile(r"\b(?:our|my|top|editor'?s)\s+pick\b", re.I), "toppick"),
    (re.compile(r"\bno\s+(?:[\w-]+\s+)?fees?\b", re.I), "feefree"),
    (re.compile(r"\bfee[-\s]free\b", re.I), "feefree"),
    (
        re.compile(r"\blow(?:er)?[-\s](?:fees?|rates?|cost|costs|prices?|apr)\b", re.I),
        "inexpensive",
    ),
    (re.compile(r"\bsurprise\s+(?:charges|fees|bills)\b", re.I), "unexpected costly"),
    (
        re.compile(
            r"\b(?:high|higher|hidden|extra|excessive|steep|junk|illegal)\s+(?:[\w-]+\s+)?(?:fees?|charges)\b",
            re.I,
        ),
        "costly",
    ),
    (re.compile(r"\bfees\s+(?:can\s+)?add\s+up\b", re.I), "costly"),
    (
        re.compile(
            r"(?:\branked\s+)?(?:#\s?1|no\.\s?1|number\s+one)\b|\branked\s+(?:first|1st)\b", re.I
        ),
        "toppick",
    ),
]
# A capitalised word inside a sentence is a name ("Hilton Honors", "Capital One"), whose
# words say nothing about anyone's quality.
_PROPER_NOUN = re.compile(r"(?<=[a-z0-9,;)] )[A-Z][a-z]+")
_RATING = re.compile(
    r"(?<![\d.$])([1-5](?:\.\d)?)\s*"
    r"(?:stars?\b|/\s*5\b|out\s+of\s+5\b|(?=\(\s*[\d,.]+\s*[kK]?\s*(?:google\s+)?(?:reviews?|ratings?)?\s*\)))",
    re.I,
)
_RECOMMENDATION = re.compile(
    r"\b(?:best|top|top-rated|highly[\s-]rated|recommended|leading|favou?rites?|standouts?"
    r"|worth\s+considering|strongest|most\s+popular)\b(?!-known)",
    re.I,
)
_STAR_GLYPHS = re.compile(r"[★☆½⭐]+")
_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_URL = re.compile(r"https?://\S+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_FIRST_PERSON = re.compile(r"\bI(?:'m|'ve|'d|’m|’ve|’d)?\b")
_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class SentimentJudgement:
    """A sentiment and why: the score and the terms and ratings that made it."""

    sentiment: Sentiment
    score: float
    terms: list[tuple[str, float]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(DOMAIN_TERMS)
    return analyzer


def _prepared(passage: str, names: list[str]) -> str:
    text = _LINK.sub(r"\1", passage)
    text = _URL.sub(" ", text)
    text = _STAR_GLYPHS.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?:['’]s)?(?!\w)", "Org", text, flags=re.I)
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    text = _PROPER_NOUN.sub("Name", text)
    return text.replace("**", "").replace("__", "").replace("|", ". ")


def _ratings(passage: str) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for match in _RATING.finditer(_STAR_GLYPHS.sub(" ", passage)):
        value = float(match.group(1))
        if value >= GOOD_RATING:
            found.append((f"rating {value}", RATING_WEIGHT))
        elif value <= POOR_RATING:
            found.append((f"rating {value}", -RATING_WEIGHT))
    return found


def is_recommendation(response_text: str) -> bool:
    """Whether the answer presents itself as a recommendation: its title or opening lines
    speak of the best, top, recommended or leading options."""
    opening = _URL.sub(" ", _LINK.sub(r"\1", "\n".join(response_text.strip().splitlines()[:3])))
    return _RECOMMENDATION.search(opening[:400]) is not None


def judge_sentiment(
    passages: list[str], names: list[str] | None = None, *, recommended: bool = False
) -> SentimentJudgement:
    """The sentiment of the passages toward the org known under `names`; `recommended` when
    the answer is framed as a recommendation (`is_recommendation`)."""
    analyzer = _analyzer()
    score = 0.0
    terms: list[tuple[str, float]] = []
    if recommended:
        score += RECOMMENDATION_WEIGHT
        terms.append(("named in a recommendation", RECOMMENDATION_WEIGHT))
    for passage in passages:
        for sentence in _SENTENCE.split(_prepared(passage, names or [])):
            # Questions ("Is it still a good choice?") judge nothing.
            if not sentence.strip() or sentence.rstrip().endswith("?"):
                continue
            if _FIRST_PERSON.search(sentence):
                continue
            compound = float(analyzer.polarity_scores(sentence)["compound"])
            if compound:
                score += compound
                terms += [
                    (word, analyzer.lexicon[word])
                    for word in _WORD.findall(sentence.lower())
                    if analyzer.lexicon.get(word)
                ]
        for cue in _ratings(passage):
            score += cue[1]
            terms.append(cue)
    if score >= POSITIVE_THRESHOLD:
        label: Sentiment = "positive"
    elif score <= NEGATIVE_THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    return SentimentJudgement(sentiment=label, score=round(score, 4), terms=terms)


def passage_sentiment(passages: list[str], names: list[str] | None = None) -> Sentiment:
    """Overall sentiment of the passages about the org."""
    return judge_sentiment(passages, names).sentiment


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
