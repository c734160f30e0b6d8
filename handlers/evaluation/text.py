"""Text helpers shared by the evaluation modules: a search form of the answer and URL spans.

`search_form` maps typographic punctuation to ASCII one character for one character, so a
match found in the search form has the same offsets in the original answer.
"""

from __future__ import annotations

import re

# Apostrophes, dashes and spaces that answers use interchangeably with their ASCII forms.
_APOSTROPHES = "\u2018\u2019\u201b\u02bc\u2032\uff07"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SPACES = "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u3000"

_TRANSLATION = str.maketrans(
    {
        **dict.fromkeys(_APOSTROPHES, "'"),
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys(_SPACES, " "),
    }
)

# A scheme-required http(s) URL, as it may appear in prose, markdown links or angle brackets.
URL_PATTERN = re.compile(r"https?://[^\s<>\"'`\[\]{}|\\^]+", re.IGNORECASE)
# Characters that end a sentence rather than a URL when they trail one (xurls ends a URL on
# a letter, digit or one of -_~%$&+=/#, so "_" and "~" stay, as in the golden citations).
_URL_TRAILING = ".,;:!?*'\""


def ascii_punctuation(text: str) -> str:
    """`text` with typographic apostrophes, dashes and spaces made ASCII, offsets preserved."""
    return text.translate(_TRANSLATION)


def search_form(text: str) -> str:
    """`ascii_punctuation(text)` in per-character lower case, offsets preserved."""
    # str.lower() may lengthen a few characters (e.g. U+0130); keep those as they are.
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in ascii_punctuation(text))


def trim_url(candidate: str) -> str:
    """Strip the punctuation that trails a URL in prose and unbalanced closing brackets."""
    url = candidate
    while url:
        last = url[-1]
        if last in _URL_TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


def url_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every http(s) URL in `text`, trailing punctuation excluded."""
    spans: list[tuple[int, int, str]] = []
    for match in URL_PATTERN.finditer(text):
        url = trim_url(match.group(0))
        if len(url) > len("https://"):
            spans.append((match.start(), match.start() + len(url), url))
    return spans
