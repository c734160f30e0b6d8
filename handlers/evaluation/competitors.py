"""Competitors: the other brands an answer names.

- `DeterministicCompetitorExtractor` reads brand-like names off the markdown structure: bold
  text, the lead of list items ("1. **Name** – ..."), numbered headings, the first column of
  tables and link texts. It drops the org's own names, generic or industry phrases and prose.
- `LLMCompetitorExtractor` asks a chat model (schema `competitor_extraction`).

Both return names deduplicated case-insensitively in order of first appearance, and the cost of
the one call that found them, recorded once per answer (weakness 7).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from handlers.evaluation.llm import object_schema, structured_completion
from handlers.evaluation.mentions import find_mentions
from handlers.evaluation.models import CompetitorExtraction
from handlers.evaluation.text import search_form
from handlers.evaluation.vocabulary import CONNECTORS, GENERIC_WORDS

if TYPE_CHECKING:
    import openai  # the SDK loads where a client is built, not here

DEFAULT_COMPETITOR_MODEL = "gpt-4.1-mini"
COMPETITOR_SCHEMA_NAME = "competitor_extraction"
MAX_NAME_WORDS = 6
MAX_NAME_CHARS = 60

_BOLD = re.compile(r"\*\*(?!\s)(.+?)(?<!\s)\*\*|__(?!\s)(.+?)(?<!\s)__")
_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\([^)\s]+\)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?P<item>.+)$")
_NUMBERED_HEADING = re.compile(r"^\s*#{1,6}\s+\d{1,3}[.)]\s+(?P<item>.+)$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
# What separates a list item's lead (the name) from its description.
_LEAD_END = re.compile(r"\s+[-–—]\s+|:\s|\s*\(|,\s")
_MARKUP = re.compile(r"[*_`]+")
# A full stop after a lower-case word: prose, not a name like "U.S. Bank".
_SENTENCE = re.compile(r"[a-z]{2}[.!?]\s")
_TRAILING_PARENS = re.compile(r"\s*\([^)]*\)\s*$")


@runtime_checkable
class CompetitorExtractor(Protocol):
    """Finds the competitors an answer names, other than the org itself."""

    label: str

    def extract(
        self, response_text: str, org_name: str, variations: list[str]
    ) -> CompetitorExtraction: ...


def _plain(fragment: str) -> str:
    """A candidate without links, emphasis, a trailing "(ABC)" or trailing punctuation."""
    text = _LINK.sub(lambda m: m.group(1), fragment)
    text = _MARKUP.sub("", text)
    text = _TRAILING_PARENS.sub("", text)
    return text.strip(" \t:;,.!?–—-|")


def looks_like_brand(candidate: str) -> bool:
    """True for a short, capitalised name that is not made only of generic words."""
    if not candidate or len(candidate) > MAX_NAME_CHARS or "%" in candidate or "$" in candidate:
        return False
    words = candidate.split()
    if len(words) > MAX_NAME_WORDS or candidate.endswith("?") or _SENTENCE.search(candidate):
        return False
    if "://" in candidate or not any(ch.isalpha() for ch in candidate):
        return False
    for word in words:
        # Every word must be name-like: capitalised ("Ally"), styled ("eBay"), a number or a
        # connector ("Bank of America").
        if word.lower() in CONNECTORS or word[0].isupper() or word[0].isdigit():
            continue
        if any(ch.isupper() for ch in word[1:]):
            continue
        return False
    meaningful = [w.strip("'’.,&()").lower() for w in words]
    return not all(w in GENERIC_WORDS or not w or w.isdigit() for w in meaningful)


def _structural_candidates(text: str) -> list[tuple[int, str]]:
    """(position, raw candidate) from bold, links, list leads, numbered headings and tables."""
    found: list[tuple[int, str]] = []
    lines = text.split("\n")
    offset = 0
    for index, line in enumerate(lines):
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        is_heading = _HEADING.match(line) is not None
        numbered = _NUMBERED_HEADING.match(line)
        if numbered or (not is_heading and (numbered := _LIST_ITEM.match(line))):
            item = numbered.group("item")
            lead = _LEAD_END.split(_plain(_LINK.sub(lambda m: m.group(1), item)), maxsplit=1)[0]
            found.append((offset + numbered.start("item"), lead))
        stripped = line.strip()
        # A header row is the one directly above the |---| separator.
        is_row = stripped.startswith("|") and not _TABLE_SEPARATOR.match(stripped)
        if is_row and not _TABLE_SEPARATOR.match(next_line.strip()):
            first_cell = stripped.strip("|").split("|", 1)[0]
            found.append((offset + line.find(first_cell), first_cell))
        if not is_heading:
            for match in _BOLD.finditer(line):
                found.append((offset + match.start(), match.group(1) or match.group(2)))
            for match in _LINK.finditer(line):
                found.append((offset + match.start(), match.group(1)))
        offset += len(line) + 1
    found.sort(key=lambda item: item[0])
    return found


def _is_own_name(candidate: str, org_name: str, variations: list[str]) -> bool:
    # The org itself, a longer name holding it ("Acme Bank app"), or a piece of its name.
    if find_mentions(candidate, [org_name, *variations]):
        return True
    return bool(find_mentions(org_name, [candidate]))


def _same_brand(name: str, kept: str) -> bool:
    # "Starling" after "Starling Bank" (or "Zoho CRM" after "Zoho") names the same brand.
    shorter, longer = sorted((search_form(name), search_form(kept)), key=len)
    return any(span.start == 0 for span in find_mentions(longer, [shorter]))


def clean_competitors(names: list[str], org_name: str, variations: list[str]) -> list[str]:
    """Trimmed, non-blank names without the org, deduplicated case-insensitively (a name and
    its longer form count once), in order of first appearance."""
    result: list[str] = []
    for raw in names:
        name = " ".join(raw.split())
        if not name or _is_own_name(name, org_name, variations):
            continue
        if any(_same_brand(name, kept) for kept in result):
            continue
        result.append(name)
    return result


class DeterministicCompetitorExtractor:
    """Offline extractor over the answer's markdown structure."""

    label = "deterministic"

    def extract(
        self, response_text: str, org_name: str, variations: list[str]
    ) -> CompetitorExtraction:
        candidates = [_plain(raw) for _, raw in _structural_candidates(response_text)]
        brands = [c for c in candidates if looks_like_brand(c)]
        return CompetitorExtraction(competitors=clean_competitors(brands, org_name, variations))


class _CompetitorAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    competitors: list[str]


_COMPETITOR_SCHEMA = object_schema({"competitors": {"type": "array", "items": {"type": "string"}}})
_SYSTEM_PROMPT = (
    "List every branded company, product, service, platform or tool named in the answer, "
    "other than the target organisation, in order of first appearance. Leave out generic and "
    "industry terms (for example 'credit unions', 'online banks', 'mobile app')."
)


class LLMCompetitorExtractor:
    """Extractor backed by an OpenAI-compatible chat model with strict structured output."""

    label = "llm"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str = DEFAULT_COMPETITOR_MODEL,
        *,
        temperature: float = 0.1,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature

    def extract(
        self, response_text: str, org_name: str, variations: list[str]
    ) -> CompetitorExtraction:
        answer, usage = structured_completion(
            self._client,
            model=self._model,
            schema_name=COMPETITOR_SCHEMA_NAME,
            schema=_COMPETITOR_SCHEMA,
            system=_SYSTEM_PROMPT,
            user=f"Target organisation: {org_name}\n\nAnswer:\n<<<\n{response_text}\n>>>",
            result_type=_CompetitorAnswer,
            temperature=self._temperature,
        )
        return CompetitorExtraction(
            competitors=clean_competitors(answer.competitors, org_name, variations),
            usage=usage,
        )
