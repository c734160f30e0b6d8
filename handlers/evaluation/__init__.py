"""Evaluation of one AI answer for one org: mention, share of voice, sentiment, rank,
citations and competitors (domain §4), offline or with a language model.

    variations = generator.generate(org.name, org.websites).names
    evaluation = evaluate_answer(text, org, variations,
                                 verifier=verifier, competitor_extractor=extractor)

`build_evaluator_components` picks the language-model components when given a client and the
deterministic offline ones otherwise. Pure Python: no database, no printing.
"""

from __future__ import annotations

from handlers.evaluation.citations import clean_url, extract_citations, registrable_domain
from handlers.evaluation.competitors import (
    CompetitorExtractor,
    DeterministicCompetitorExtractor,
    LLMCompetitorExtractor,
)
from handlers.evaluation.evaluate import FAILED_RUN_PLACEHOLDER, evaluate_answer, is_failed_run
from handlers.evaluation.factory import build_evaluator_components
from handlers.evaluation.mentions import find_mentions
from handlers.evaluation.models import (
    Citation,
    CompetitorExtraction,
    Evaluation,
    MentionSpan,
    MentionVerification,
    NameVariations,
    OrgProfile,
    Sentiment,
    Usage,
)
from handlers.evaluation.rank import mention_rank
from handlers.evaluation.sentiment import normalise_sentiment, passage_sentiment
from handlers.evaluation.sov import share_of_voice
from handlers.evaluation.variations import (
    DeterministicVariationGenerator,
    LLMVariationGenerator,
    NameVariationGenerator,
    variations_fingerprint,
)
from handlers.evaluation.verifiers import (
    DeterministicMentionVerifier,
    LLMMentionVerifier,
    MentionVerifier,
)

__all__ = [
    "FAILED_RUN_PLACEHOLDER",
    "Citation",
    "CompetitorExtraction",
    "CompetitorExtractor",
    "DeterministicCompetitorExtractor",
    "DeterministicMentionVerifier",
    "DeterministicVariationGenerator",
    "Evaluation",
    "LLMCompetitorExtractor",
    "LLMMentionVerifier",
    "LLMVariationGenerator",
    "MentionSpan",
    "MentionVerification",
    "MentionVerifier",
    "NameVariationGenerator",
    "NameVariations",
    "OrgProfile",
    "Sentiment",
    "Usage",
    "build_evaluator_components",
    "clean_url",
    "evaluate_answer",
    "extract_citations",
    "find_mentions",
    "is_failed_run",
    "mention_rank",
    "normalise_sentiment",
    "passage_sentiment",
    "registrable_domain",
    "share_of_voice",
    "variations_fingerprint",
]
