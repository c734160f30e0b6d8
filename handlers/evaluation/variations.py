"""Name variations: the spellings under which an org may appear in an answer.

Two generators share the `NameVariationGenerator` protocol:

- `DeterministicVariationGenerator` derives the variations offline, in a stable order: the exact
  name and its case variants, the name without legal suffixes, spaced / unspaced / hyphenated
  forms of compound names (CamelCase included), plausible legal suffixes, an acronym for
  multi-word names when it has at least three letters, and the bare roots of the websites.
- `LLMVariationGenerator` asks a chat model (schema `name_variations_extraction`) and cleans
  its list with the same rules: no blanks, URLs, e-mail addresses or two-letter acronyms.

Either way the list is generated once per (name, websites) and cached by the store under
`variations_fingerprint`, so retries see the same variations (weakness 10).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from handlers.errors import InvalidInputError
from handlers.evaluation.citations import registrable_domain
from handlers.evaluation.llm import object_schema, structured_completion
from handlers.evaluation.mentions import usable_variation
from handlers.evaluation.models import NameVariations
from handlers.evaluation.names import domain_name_root, short_forms

if TYPE_CHECKING:
    import openai  # the SDK loads where a client is built, not here

DEFAULT_VARIATIONS_MODEL = "gpt-4.1-mini"
VARIATIONS_SCHEMA_NAME = "name_variations_extraction"
# Bump when the rules below change so that cached lists are regenerated.
VARIATIONS_VERSION = 2

_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+)(inc\.?|incorporated|l\.?l\.?c\.?|ltd\.?|limited|corp\.?|corporation|co\.?"
    r"|company|plc|l\.?l\.?p\.?|l\.?p\.?|gmbh|ag|s\.a\.?|n\.a\.?)$",
    re.IGNORECASE,
)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
# Split "FirstBank" or "HubSpot", but not "iPhone", "McDonald" or "LinkedIn".
_CAMEL_BOUNDARY = re.compile(r"(?<=[A-Za-z][a-z]{2})(?=[A-Z][a-z]{2})")
_ACRONYM_SKIP = frozenset({"the", "and", "&", "of", "for", "a", "an", "at", "in", "on", "+"})
_FINANCIAL_WORDS = frozenset(
    {"bank", "credit", "fcu", "savings", "trust", "bancorp", "bancshares", "financial"}
)
_GENERIC_SUFFIXES = ("Inc", "LLC", "Corp", "Co")
MIN_ACRONYM_LETTERS = 3
MAX_ACRONYM_LETTERS = 6
MAX_COMPOUND_WORDS = 2


@runtime_checkable
class NameVariationGenerator(Protocol):
    """Produces the name variations of an org."""

    label: str
    # What the cache is keyed by: the label and, for a model, which one.
    identity: str

    def generate(self, org_name: str, websites: list[str]) -> NameVariations: ...


def _clean_name(org_name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", org_name).split())
    if not name:
        raise InvalidInputError("the org name is empty", hint="give the org's display name")
    return name


def _normalised_website(url: str) -> str:
    value = url.strip().lower()
    if value and "://" not in value:
        value = f"https://{value}"
    return value.rstrip("/")


def variations_fingerprint(org_name: str, websites: list[str], generator: str = "") -> str:
    """sha256 of the inputs of the variation list: the name and websites (normalised), the
    generator (its label and model) and the rules' version. A change invalidates the cache."""
    payload = {
        "version": VARIATIONS_VERSION,
        "generator": generator,
        "name": " ".join(unicodedata.normalize("NFC", org_name).split()),
        "websites": sorted({w for w in map(_normalised_website, websites) if w}),
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def strip_legal_suffixes(name: str) -> str:
    """`name` without trailing legal suffixes ("Acme Co., Inc." → "Acme") or a leading "The"."""
    core = name
    while (match := _LEGAL_SUFFIX.search(core)) and match.start() > 0:
        core = core[: match.start()].rstrip(" ,")
    without_the = _LEADING_THE.sub("", core)
    return without_the if without_the else core


def compound_words(name: str) -> list[str]:
    """Words of a name with hyphens and CamelCase joints split: "FirstBank" → First, Bank."""
    words: list[str] = []
    for token in re.split(r"[\s\-]+", name):
        words.extend(part for part in _CAMEL_BOUNDARY.split(token) if part)
    return words


def acronym(name: str) -> str | None:
    """Initials of a multi-word name, when they make at least three letters."""
    words = [w for w in name.split() if w.lower() not in _ACRONYM_SKIP and w[:1].isalnum()]
    if len(words) < 2:
        return None
    initials = "".join(w[0] for w in words).upper()
    if not MIN_ACRONYM_LETTERS <= len(initials) <= MAX_ACRONYM_LETTERS:
        return None
    return initials if initials.isalpha() else None


def domain_root(website: str) -> str | None:
    """The registrable label of a website: "https://www.acmebank.co.uk/x" → "acmebank"."""
    domain = registrable_domain(website)
    if not domain or "." not in domain:
        return None
    root = domain.split(".", 1)[0]
    return root if len(root) >= MIN_ACRONYM_LETTERS else None


def _suffix_forms(core: str) -> list[str]:
    lowered = core.lower()
    if lowered.endswith("federal credit union"):
        return [f"{core[: -len('federal credit union')].rstrip()} FCU"]
    if lowered.endswith(" fcu"):
        return [f"{core[:-4]} Federal Credit Union"]
    if any(word in _FINANCIAL_WORDS for word in lowered.split()):
        # Banks and credit unions are not styled "Inc"/"LLC" in answers.
        return []
    return [f"{core} {suffix}" for suffix in _GENERIC_SUFFIXES]


def _finalise(names: list[str]) -> list[str]:
    result: list[str] = []
    for raw in names:
        name = usable_variation(raw)
        if name is not None and name not in result:
            result.append(name)
    return result


class DeterministicVariationGenerator:
    """Offline generator: the same inputs always give the same list, in the same order."""

    label = "deterministic"
    identity = "deterministic"

    def generate(self, org_name: str, websites: list[str]) -> NameVariations:
        name = _clean_name(org_name)
        core = strip_legal_suffixes(name)
        candidates = [name, name.lower(), name.upper(), name.title(), core, core.lower()]
        candidates += short_forms(core)
        if (root := domain_name_root(core)) is not None:
            candidates.append(root)
        words = compound_words(core)
        # Only names made of capitalised words have compound forms ("Bank of America" has none).
        if 2 <= len(words) <= MAX_COMPOUND_WORDS and all(w[:1].isupper() for w in words):
            unspaced = "".join(words)
            candidates += [" ".join(words), unspaced, "-".join(words), unspaced.lower()]
        candidates += _suffix_forms(core)
        if (initials := acronym(core)) is not None:
            candidates.append(initials)
        candidates += [root for root in map(domain_root, websites) if root]
        return NameVariations(names=_finalise(candidates), generator=self.label)


class _VariationsAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    names: list[str]


_VARIATIONS_SCHEMA = object_schema({"names": {"type": "array", "items": {"type": "string"}}})
_SYSTEM_PROMPT = (
    "You list the ways an organisation's name is written in text. Give 15 to 25 realistic "
    "variations: the exact name and its case variants; spaced, unspaced and hyphenated forms "
    "of compound words (mandatory); plausible legal suffixes; natural short forms; acronyms "
    "for multi-word names only; bare domain roots of its websites. Never include URLs, "
    "e-mail addresses or made-up abbreviations."
)


def _is_acceptable(name: str, exact: str) -> bool:
    if "://" in name or "@" in name or "/" in name:
        return False
    # Two-letter acronyms match far too much text (weakness 10) unless they are the name.
    letters = [ch for ch in name if ch.isalnum()]
    return len(letters) >= MIN_ACRONYM_LETTERS or name == exact


class LLMVariationGenerator:
    """Generator backed by an OpenAI-compatible chat model with strict structured output."""

    label = "llm"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str = DEFAULT_VARIATIONS_MODEL,
        *,
        temperature: float = 0.0,
    ) -> None:
        self._client = client
        self._model = model
        self.identity = f"{self.label}:{model}"
        # Temperature 0 rather than the legacy 0.3: the list is cached, but a retry before the
        # cache is written should still see the same list as often as the model allows.
        self._temperature = temperature

    def generate(self, org_name: str, websites: list[str]) -> NameVariations:
        name = _clean_name(org_name)
        sites = "\n".join(f"- {w}" for w in websites) or "(none)"
        answer, usage = structured_completion(
            self._client,
            model=self._model,
            schema_name=VARIATIONS_SCHEMA_NAME,
            schema=_VARIATIONS_SCHEMA,
            system=_SYSTEM_PROMPT,
            user=f"Organisation: {name}\nWebsites:\n{sites}",
            result_type=_VariationsAnswer,
            temperature=self._temperature,
        )
        names = _finalise([name, *answer.names])
        return NameVariations(
            names=[n for n in names if _is_acceptable(n, name)],
            generator=f"{self.label}:{self._model}",
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost=usage.cost,
        )
