"""Mention verification: does a candidate answer really talk about this org, and how?

Both verifiers take the answer, the org name and the candidate spans found on word boundaries,
and return whether the org is mentioned, the verbatim mention passages joined with " || ", and
one sentiment in the normalised lower-case labels.

- `DeterministicMentionVerifier` works offline: it accepts a span when the answer writes the
  name as a proper name (a capital letter, an acronym, or a bare domain like `acme.com`), which
  drops generic-word hits such as "chase the best rate" for an org called Chase.
- `LLMMentionVerifier` asks a chat model (schema `org_mention_verification_extraction`) to
  confirm the specific org is meant. Passages the model did not copy verbatim are discarded,
  so the share of voice is always measured on text that is really in the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from handlers.evaluation.llm import object_schema, structured_completion
from handlers.evaluation.mentions import is_acronym
from handlers.evaluation.models import MentionSpan, MentionVerification, SentimentEvidence
from handlers.evaluation.names import (
    inside_longer_name,
    is_ordinary_word,
    name_in_context,
    names_another_org,
)
from handlers.evaluation.passages import PASSAGE_SEPARATOR, join_passages, mention_passages
from handlers.evaluation.sentiment import is_recommendation, judge_sentiment, normalise_sentiment

if TYPE_CHECKING:
    import openai  # the SDK loads where a client is built, not here

DEFAULT_VERIFICATION_MODEL = "gpt-4.1"
VERIFICATION_SCHEMA_NAME = "org_mention_verification_extraction"
_DOMAIN_AFTER = re.compile(r"\.[a-z]{2,}", re.IGNORECASE)


@runtime_checkable
class MentionVerifier(Protocol):
    """Confirms candidate mentions of an org in one answer."""

    label: str

    def verify(
        self, response_text: str, org_name: str, candidates: list[MentionSpan]
    ) -> MentionVerification: ...


def _verified(response_text: str, org_name: str, spans: list[MentionSpan]) -> MentionVerification:
    passages = mention_passages(response_text, spans)
    names = sorted({org_name, *(s.variation for s in spans), *(s.text for s in spans)})
    judgement = judge_sentiment(passages, names, recommended=is_recommendation(response_text))
    return MentionVerification(
        is_mention_verified=True,
        sentiment=judgement.sentiment,
        sentiment_evidence=SentimentEvidence(
            method="lexicon", score=judgement.score, terms=judgement.terms
        ),
        mention_text=join_passages(passages),
        confirmed_spans=spans,
    )


def _capitalised_like(found: str, variation: str) -> bool:
    pairs = zip(re.split(r"[\s\-]+", found), re.split(r"[\s\-]+", variation), strict=False)
    return all(f[:1].isupper() or not v[:1].isupper() for f, v in pairs)


class DeterministicMentionVerifier:
    """Offline verifier: proper-name spelling confirms a candidate."""

    label = "deterministic"

    def _accepts(self, response_text: str, org_name: str, span: MentionSpan) -> bool:
        if is_acronym(span.variation):
            return True
        # A brand styled in lower case ("bunq") is written that way in answers too.
        if not any(ch.isupper() for ch in org_name):
            return True
        if not any(ch.isupper() for ch in span.text):
            return _DOMAIN_AFTER.match(response_text, span.end) is not None
        if inside_longer_name(response_text, span.start):
            return False
        if len(span.variation.split()) >= len(org_name.split()):
            return True
        # A short form must be written as a name: capitals where the name has them ("Bright
        # Smile", not "bright smile"), and an ordinary word only where it stands as a name.
        if not _capitalised_like(span.text, span.variation):
            return False
        if names_another_org(response_text, span.end, org_name):
            return False
        if is_ordinary_word(span.variation):
            return name_in_context(response_text, span.start, span.end)
        return True

    def verify(
        self, response_text: str, org_name: str, candidates: list[MentionSpan]
    ) -> MentionVerification:
        confirmed = [s for s in candidates if self._accepts(response_text, org_name, s)]
        if not confirmed:
            return MentionVerification(is_mention_verified=False)
        return _verified(response_text, org_name, confirmed)


class _VerificationAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    is_mention_verified: bool
    sentiment: str
    mention_text: str


_VERIFICATION_SCHEMA = object_schema(
    {
        "is_mention_verified": {
            "type": "boolean",
            "description": "True only if the answer refers to this specific organisation.",
        },
        "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
        "mention_text": {
            "type": "string",
            "description": "Every passage mentioning the org, verbatim, joined with ' || '.",
        },
    }
)

_SYSTEM_PROMPT = (
    "You verify whether an AI assistant's answer mentions a specific organisation. "
    "Be strict: confirm a mention only when the text refers to that organisation itself, "
    "under its name or a short form people use (for example 'Alliant' for Alliant Credit "
    "Union), not to a generic word that is part of the name ('community', 'summit', "
    "'discover') and not to a differently named organisation with a similar name ('First "
    "Community Credit Union' is not 'Community Credit Union'). A URL alone is not a mention. "
    "If it is mentioned, copy every passage about it exactly as written, links included: the "
    "whole paragraph, the whole list item with its sub-items, the whole table row, or the "
    "whole section when a heading names it; join the passages with ' || '. Then give the "
    "overall sentiment of those passages toward the organisation: positive (recommended, "
    "praised, well rated, ranked among the best), negative (complaints, fines, poor ratings, "
    "warnings) or neutral (facts only). If it is not mentioned, return an empty mention_text "
    "and neutral sentiment."
)


class LLMMentionVerifier:
    """Verifier backed by an OpenAI-compatible chat model with strict structured output."""

    label = "llm"

    def __init__(
        self,
        client: openai.OpenAI,
        model: str = DEFAULT_VERIFICATION_MODEL,
        *,
        temperature: float = 0.1,
    ) -> None:
        self._client = client
        self._model = model
        self._temperature = temperature

    def verify(
        self, response_text: str, org_name: str, candidates: list[MentionSpan]
    ) -> MentionVerification:
        if not candidates:
            return MentionVerification(is_mention_verified=False)
        names = sorted({span.text for span in candidates})
        user = (
            f"Organisation: {org_name}\n"
            f"It appears in the answer as: {', '.join(names)}\n\n"
            f"Answer:\n<<<\n{response_text}\n>>>"
        )
        answer, usage = structured_completion(
            self._client,
            model=self._model,
            schema_name=VERIFICATION_SCHEMA_NAME,
            schema=_VERIFICATION_SCHEMA,
            system=_SYSTEM_PROMPT,
            user=user,
            result_type=_VerificationAnswer,
            temperature=self._temperature,
        )
        if not answer.is_mention_verified:
            return MentionVerification(is_mention_verified=False, usage=usage)
        verbatim = [
            part.strip()
            for part in answer.mention_text.split(PASSAGE_SEPARATOR.strip())
            if part.strip() and part.strip() in response_text
        ]
        if verbatim:
            mention_text = join_passages(verbatim)
        else:
            # The model confirmed the org but paraphrased: measure on our own passages.
            mention_text = join_passages(mention_passages(response_text, candidates))
        return MentionVerification(
            is_mention_verified=True,
            sentiment=normalise_sentiment(answer.sentiment) or "neutral",
            sentiment_evidence=SentimentEvidence(method="model", model_label=answer.sentiment),
            mention_text=mention_text,
            confirmed_spans=candidates,
            usage=usage,
        )
