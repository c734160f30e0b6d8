"""Finding where an org's name variations occur in an answer, on word boundaries.

The legacy gate was a lower-cased substring test (weakness 10): "Acme Bank" matched inside
"Acme Bankers" and an empty variation matched everything. Here a variation matches only as a
whole word sequence: it may be followed by a possessive ("Acme's", "Acme’s"), wrapped in
markdown (`**Acme**`, `[Acme](...)`, `| Acme |`), and its words may be separated by any run of
spaces or (typographic) hyphens. Occurrences inside http(s) URLs are not mentions: a cited link
is a citation, not the answer naming the org. Acronyms are matched case-sensitively so "ACB"
does not fire on an ordinary "acb" fragment.
"""

from __future__ import annotations

import re
from functools import lru_cache

from handlers.evaluation.models import MentionSpan
from handlers.evaluation.text import ascii_punctuation, search_form, url_spans

# A word character other than "_": markdown uses "_" for emphasis, so `_Acme_` is a mention.
_NOT_AFTER_WORD = r"(?<![^\W_])"
_NOT_BEFORE_WORD = r"(?![^\W_])"
# Words of a variation may be split by spaces, tabs or hyphens, but never by a line break.
_SEPARATOR = r"[^\S\n]*-[^\S\n]*|[^\S\n]+"
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&]{1,5}")
MIN_VARIATION_CHARS = 2


def is_acronym(variation: str) -> bool:
    """True for an all-capitals token such as "NFCU": matched case-sensitively."""
    return _ACRONYM.fullmatch(variation) is not None


def usable_variation(variation: str) -> str | None:
    """The variation stripped, or None when it is too short to mean anything."""
    value = " ".join(variation.split())
    if sum(ch.isalnum() for ch in value) < MIN_VARIATION_CHARS:
        return None
    return value


@lru_cache(maxsize=4096)
def _pattern(variation: str, case_sensitive: bool) -> re.Pattern[str]:
    form = ascii_punctuation(variation) if case_sensitive else search_form(variation)
    words = [w for w in re.split(r"[\s\-]+", form) if w]
    body = f"(?:{_SEPARATOR})".join(re.escape(w) for w in words)
    return re.compile(f"{_NOT_AFTER_WORD}{body}{_NOT_BEFORE_WORD}")


def _inside(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < r_end and end > r_start for r_start, r_end in ranges)


def find_mentions(text: str, variations: list[str]) -> list[MentionSpan]:
    """Non-overlapping occurrences of any variation in `text`, in order of position.

    Where variations overlap ("Acme" and "Acme Bank"), the longest match at the earliest
    position wins, so every span covers a whole name.
    """
    lowered = search_form(text)
    exact = ascii_punctuation(text)
    urls = [(start, end) for start, end, _ in url_spans(text)]
    found: list[MentionSpan] = []
    seen_variations: set[str] = set()
    for raw in variations:
        variation = usable_variation(raw)
        if variation is None or variation in seen_variations:
            continue
        seen_variations.add(variation)
        case_sensitive = is_acronym(variation)
        haystack = exact if case_sensitive else lowered
        for match in _pattern(variation, case_sensitive).finditer(haystack):
            start, end = match.span()
            if _inside(start, end, urls):
                continue
            found.append(
                MentionSpan(start=start, end=end, text=text[start:end], variation=variation)
            )
    found.sort(key=lambda span: (span.start, -(span.end - span.start)))
    merged: list[MentionSpan] = []
    for span in found:
        if merged and span.start < merged[-1].end:
            continue
        merged.append(span)
    return merged
