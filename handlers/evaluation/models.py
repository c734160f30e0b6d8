"""Data shapes of the evaluation of one answer: inputs, intermediate results and the outcome.

Everything the evaluation returns is a pydantic model so the step handler can persist it and the
CLI can print it as JSON without a translation layer.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Sentiment = Literal["positive", "neutral", "negative"]
CitationType = Literal["primary", "secondary"]
EvaluatorLabel = Literal["deterministic", "llm"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Usage(_Frozen):
    """Tokens and cost of the language-model calls behind one result (zero when offline)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost=round(self.cost + other.cost, 10),
        )


class OrgProfile(_Frozen):
    """The org an answer is evaluated for."""

    name: str
    websites: list[str] = Field(default_factory=list)


class NameVariations(_Frozen):
    """The names an org may appear under in an answer, with the cost of producing them."""

    names: list[str]
    generator: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


class MentionSpan(_Frozen):
    """One place in the answer where a name variation occurs: `text[start:end]`."""

    start: int
    end: int
    text: str
    variation: str


class SentimentEvidence(_Frozen):
    """Why the sentiment is what it is: the lexicon's score and scored terms, or the model's
    own label."""

    method: Literal["lexicon", "model"]
    score: float | None = None
    # (term, valence): lexicon words of the passages and star ratings ("rating 4.7").
    terms: list[tuple[str, float]] = Field(default_factory=list)
    model_label: str | None = None


class MentionVerification(_Frozen):
    """A verifier's verdict on the candidate mentions of one answer."""

    is_mention_verified: bool
    sentiment: Sentiment | None = None
    mention_text: str = ""
    # The spans the verifier accepts; the rank is measured from the first of them.
    confirmed_spans: list[MentionSpan] = Field(default_factory=list)
    sentiment_evidence: SentimentEvidence | None = None
    usage: Usage = Field(default_factory=Usage)


class CompetitorExtraction(_Frozen):
    """The competitors named in one answer, and the cost of finding them (once per answer)."""

    competitors: list[str]
    usage: Usage = Field(default_factory=Usage)


class Citation(_Frozen):
    """A cleaned URL cited by an answer."""

    url: str
    domain: str
    type: CitationType


class Evidence(_Frozen):
    """What each metric was decided on, so an operator can see why."""

    # mention: the names looked for, where they matched, and which matches were not accepted.
    names_searched: list[str] = Field(default_factory=list)
    matched_names: list[MentionSpan] = Field(default_factory=list)
    rejected_names: list[MentionSpan] = Field(default_factory=list)
    # share of voice: the passages (joined with " || " they are the mention text) and sizes.
    passages: list[str] = Field(default_factory=list)
    mention_bytes: int = 0
    response_bytes: int = 0
    sentiment: SentimentEvidence | None = None
    # rank: the competitors the answer names before the org.
    competitors_before: list[str] = Field(default_factory=list)
    # citations: URLs found in the text but not cited (not http(s), or images).
    dropped_urls: list[str] = Field(default_factory=list)


class Evaluation(_Frozen):
    """The evaluation of one answer for one org (one org_eval row and its children)."""

    mentioned: bool
    mention_text: str | None = None
    mention_count: int = 0
    share_of_voice: float = 0.0
    sentiment: Sentiment | None = None
    mention_rank: int | None = None
    citation: bool = False
    citations: list[Citation] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    # Totals for the answer; the breakdown lets the store put the verification cost on the
    # eval row and the competitor cost once, not on every competitor row (weakness 7).
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    verification_usage: Usage = Field(default_factory=Usage)
    competitor_usage: Usage = Field(default_factory=Usage)
    evaluator: EvaluatorLabel = "deterministic"
    # True when the answer is the provider-failure placeholder and was not evaluated.
    failed_run: bool = False
    evidence: Evidence = Field(default_factory=Evidence)
