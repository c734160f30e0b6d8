"""The evaluation of one answer for one org (domain §4), with the weaknesses of §8 fixed.

Order of work: reject an empty answer; skip the provider-failure placeholder; find candidate
mentions on word boundaries; let the verifier confirm them; then competitors, citations, share
of voice and rank. Mentioned means verified AND a non-empty mention text. The rank and the
citation flag carry information (weakness 1) and competitor cost is counted once (weakness 7).
"""

from __future__ import annotations

from handlers.errors import InvalidInputError
from handlers.evaluation.citations import dropped_urls, extract_citations
from handlers.evaluation.competitors import CompetitorExtractor
from handlers.evaluation.mentions import find_mentions, usable_variation
from handlers.evaluation.models import (
    Evaluation,
    EvaluatorLabel,
    Evidence,
    MentionVerification,
    OrgProfile,
)
from handlers.evaluation.passages import PASSAGE_SEPARATOR
from handlers.evaluation.rank import competitors_before
from handlers.evaluation.sov import share_of_voice
from handlers.evaluation.verifiers import MentionVerifier

FAILED_RUN_PLACEHOLDER = "Question run failed for this model and location"


def is_failed_run(response_text: str) -> bool:
    """True when the answer is the placeholder stored for a provider call that failed."""
    return response_text.strip() == FAILED_RUN_PLACEHOLDER


def _variations_for(org: OrgProfile, variations: list[str]) -> list[str]:
    names = [v for v in (usable_variation(raw) for raw in variations) if v is not None]
    if not names:
        # Never evaluate with nothing to look for; the exact name is always a variation.
        fallback = usable_variation(org.name)
        if fallback is None:
            raise InvalidInputError(
                "the org has no usable name or variation",
                hint="give the org's display name (at least two letters)",
            )
        names = [fallback]
    return names


def evaluate_answer(
    response_text: str,
    org: OrgProfile,
    variations: list[str],
    *,
    verifier: MentionVerifier,
    competitor_extractor: CompetitorExtractor,
) -> Evaluation:
    """Evaluate `response_text` for `org`, looking for it under `variations`."""
    if not response_text or not response_text.strip():
        raise InvalidInputError(
            "the answer to evaluate is empty", hint="a question run must store its answer"
        )
    labels = {verifier.label, competitor_extractor.label}
    evaluator: EvaluatorLabel = "llm" if "llm" in labels else "deterministic"
    if is_failed_run(response_text):
        return Evaluation(mentioned=False, evaluator=evaluator, failed_run=True)

    names = _variations_for(org, variations)
    candidates = find_mentions(response_text, names)
    verification = (
        verifier.verify(response_text, org.name, candidates)
        if candidates
        else MentionVerification(is_mention_verified=False)
    )
    mention_text = verification.mention_text.strip()
    mentioned = verification.is_mention_verified and bool(mention_text)

    extraction = competitor_extractor.extract(response_text, org.name, names)
    citations = extract_citations(response_text, org.websites)
    spans = verification.confirmed_spans if mentioned else []
    org_position = spans[0].start if spans else (candidates[0].start if mentioned else None)
    total = verification.usage + extraction.usage
    before = competitors_before(response_text, org_position, extraction.competitors)
    mention_text_kept = verification.mention_text if mentioned else ""
    evidence = Evidence(
        names_searched=names,
        matched_names=spans,
        rejected_names=[c for c in candidates if c not in verification.confirmed_spans],
        passages=mention_text_kept.split(PASSAGE_SEPARATOR) if mention_text_kept else [],
        mention_bytes=len(mention_text_kept.encode("utf-8")),
        response_bytes=len(response_text.encode("utf-8")),
        sentiment=verification.sentiment_evidence if mentioned else None,
        competitors_before=before,
        dropped_urls=dropped_urls(response_text),
    )
    return Evaluation(
        mentioned=mentioned,
        mention_text=verification.mention_text if mentioned else None,
        mention_count=len(spans) if spans else int(mentioned),
        share_of_voice=share_of_voice(
            verification.mention_text, response_text, mentioned=mentioned
        ),
        sentiment=(verification.sentiment or "neutral") if mentioned else None,
        mention_rank=len(before) + 1 if org_position is not None else None,
        citation=any(c.type == "primary" for c in citations),
        citations=citations,
        competitors=extraction.competitors,
        input_tokens=total.input_tokens,
        output_tokens=total.output_tokens,
        cost=total.cost,
        verification_usage=verification.usage,
        competitor_usage=extraction.usage,
        evaluator=evaluator,
        evidence=evidence,
    )
