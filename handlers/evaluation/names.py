"""Short forms of an org's name that a person recognises, and when a short form is trusted.

People write "Alliant" for Alliant Credit Union, "Roto-Rooter" for Roto-Rooter Plumbing &
Water Cleanup and "Ally Bank" for Ally Financial. A short form drops generic words from the end
of the name (corporate forms, "Bank", "Credit Union", sector words like "Fitness") as long as
what remains still points at the org:

- two or more words remain ("Navy Federal", "Mountain America"): kept;
- one rare word remains ("Alliant", "Patelco"): kept;
- one ordinary English word remains ("Summit", "Progressive", "Chime"): kept, but a mention
  under it counts only in a name-like position (see `name_in_context`);
- one very common word remains ("Citizens", "Golden"): dropped; when a financial word was
  removed the bank form is offered instead ("Citizens Bank").

How ordinary a word is comes from the Zipf frequencies of `wordfreq`, shipped as a small
generated list (data/common_words.txt, see bench/make_common_words.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

COMMON_ZIPF = 3.0
VERY_COMMON_ZIPF = 4.5

_CORPORATE = """
inc incorporated llc ltd limited corp corporation co company companies plc group holdings
holding international worldwide global enterprises partners lp llp gmbh ag sa na
"""
_FINANCIAL = """
financial bank banks bankers bancorp bancshares banking credit union fcu federal savings trust
investments investment securities insurance casualty mutual assurance services
"""
_SECTOR = """
health healthcare fitness dental dentistry clinic clinics hospital labs lab technologies
technology software systems solutions plumbing water cleanup restoration pet coffee
restaurant restaurants hotels resorts law firm energy
"""
TAIL_WORDS = frozenset((_CORPORATE + _FINANCIAL + _SECTOR).split())
# Words that may be dropped but never end a short form ("Summit Credit" is nobody's name).
_INCOMPLETE = frozenset({"credit", "&", "and", "of", "the", "+"})
# Dropping one of these to reach a single ordinary word loses the brand ("Navy" for Navy
# Federal Credit Union is the armed service).
_DESCRIPTORS = frozenset({"federal"})
_BANK_FORM_TRIGGERS = frozenset({"financial", "bancorp", "bancshares"})
_WORD = re.compile(r"[a-z]+")


@lru_cache(maxsize=1)
def _zipf_table() -> dict[str, float]:
    text = resources.files("handlers.evaluation").joinpath("data/common_words.txt")
    table: dict[str, float] = {}
    for line in text.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, value = line.split()
            table[word] = int(value) / 10
    return table


def zipf(word: str) -> float:
    """Zipf frequency of an English word (0 for words rarer than once per million)."""
    return _zipf_table().get(word.lower(), 0.0)


def is_ordinary_word(word: str) -> bool:
    """True for one ordinary English word ("Summit", "Chime"), false for "Alliant" or "BECU"."""
    plain = word.strip().lower()
    return _WORD.fullmatch(plain) is not None and zipf(plain) >= COMMON_ZIPF


def short_forms(core: str) -> list[str]:
    """Short forms of `core` (a name without legal suffixes), longest first."""
    words = core.split()
    forms: list[str] = []
    dropped: list[str] = []
    for end in range(len(words) - 1, 0, -1):
        dropped.append(words[end].lower().strip(",."))
        if dropped[-1] not in TAIL_WORDS and dropped[-1] not in _INCOMPLETE:
            break
        kept = words[:end]
        last = kept[-1].lower().strip(",.")
        if last in _INCOMPLETE:
            continue
        if len(kept) >= 2:
            forms.append(" ".join(kept))
            continue
        word = kept[0]
        if zipf(word) >= VERY_COMMON_ZIPF or (
            is_ordinary_word(word) and _DESCRIPTORS.intersection(dropped)
        ):
            if _BANK_FORM_TRIGGERS.intersection(dropped):
                forms.append(f"{word} Bank")
            continue
        forms.append(word)
        if _BANK_FORM_TRIGGERS.intersection(dropped):
            forms.append(f"{word} Bank")
    return forms


def domain_name_root(core: str) -> str | None:
    """ "Senso" for an org named like a domain ("Senso.ai"), when the root is a usable name."""
    found = re.fullmatch(r"([A-Za-z][\w-]*)\.[A-Za-z]{2,6}", core)
    if found is None or zipf(found.group(1)) >= VERY_COMMON_ZIPF:
        return None
    return found.group(1)


def _before(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start]


# Closed-class words that may stand capitalised right before a name without being part of it.
_LEAD_IN_WORDS = """
    a an the at by for from in into of on to with and or but like unlike including than vs
    versus as is are was were be both also only even while whereas although if when since
    because consider choose try visit join contact call ask see use compare our your their
    its his her my we you they it this that these those here there why how what which
    about over under after before between among around through during without within via
    per near behind beyond toward towards against upon across
"""
_LEAD_INS = frozenset(_LEAD_IN_WORDS.split())


def inside_longer_name(text: str, start: int) -> bool:
    """Whether the name at `start` is the tail of a longer capitalised name: "First Community
    Credit Union" is not Community Credit Union (domain §4's own example)."""
    before = _before(text, start)
    found = re.search(r"([A-Z][\w'&.-]*[\w'&])[ \t]+$", before.replace("**", "").replace("__", ""))
    return found is not None and found.group(1).lower().rstrip(".") not in _LEAD_INS


def names_another_org(text: str, end: int, org_name: str) -> bool:
    """Whether a short form ending at `end` runs on into another org's name: "Alliant Energy",
    "Acme Bankers Trust" (an org-type word the org's own name lacks), or is an adjective
    ("Acme-style")."""
    after = text[end : end + 40]
    if re.match(r"-[a-z]", after):
        return True
    following = re.match(r"[*_\]]*[ \t]+([A-Z][\w-]*)", after)
    if following is None:
        return False
    word = following.group(1).lower()
    own = {w.lower().strip(",.") for w in org_name.split()}
    return word in TAIL_WORDS and word not in own


def name_in_context(text: str, start: int, end: int) -> bool:
    """Whether an ordinary word at `text[start:end]` stands as a name, not as a word.

    It must not run on into another capitalised word ("Summit State Bank" is another bank),
    and at the start of a sentence it must be set off as a name: bold, a link, a table cell
    or a heading ("**Chime**", "| Lemonade |"), or a possessive ("Ally's").
    """
    after = text[end : end + 40]
    if re.match(r"['’]s\b", after):
        return True
    if re.match(r"[*_\]]*[ \t]+[A-Z]", after):
        return False
    before = _before(text, start)
    if re.search(r"(\*\*|__|\[|\|[ \t]*|#[ \t]+)$", before):
        return True
    stripped = re.sub(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])?[ \t]*", "", before)
    sentence_start = not stripped.strip() or re.search(r"[.!?][\"')\]*_]*[ \t]+$", stripped)
    return not sentence_start
