"""`evaluate_answer` end to end with the offline components."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.errors import InvalidInputError
from handlers.evaluation import (
    FAILED_RUN_PLACEHOLDER,
    CompetitorExtraction,
    DeterministicCompetitorExtractor,
    DeterministicMentionVerifier,
    MentionSpan,
    MentionVerification,
    OrgProfile,
    Usage,
    build_evaluator_components,
    evaluate_answer,
)

ACME = OrgProfile(name="Acme Bank", websites=["https://www.acmebank.com"])
ANSWER = (
    "## Banks\n\n"
    "1. **Chase** – biggest network ([site](https://www.chase.com/)).\n"
    "2. **Acme Bank** – excellent service and low fees. See https://acmebank.com/rates/.\n\n"
    "| Bank | Fee |\n|---|---|\n| Acme Bank | $0 |\n| Ally | $0 |\n"
)


def evaluate(text: str, org: OrgProfile = ACME) -> Any:
    generator, verifier, extractor = build_evaluator_components(None, None)
    names = generator.generate(org.name, org.websites).names
    return evaluate_answer(text, org, names, verifier=verifier, competitor_extractor=extractor)


def test_full_evaluation_of_a_mentioning_answer() -> None:
    result = evaluate(ANSWER)
    assert result.mentioned is True
    assert result.mention_text == (
        "**Acme Bank** – excellent service and low fees. See https://acmebank.com/rates/."
        " || | Acme Bank | $0 |"
    )
    assert result.mention_count == 2
    assert result.sentiment == "positive"
    assert result.mention_rank == 2
    assert result.competitors == ["Chase", "Ally"]
    assert result.citation is True
    assert [(c.url, c.type) for c in result.citations] == [
        ("https://chase.com", "secondary"),
        ("https://acmebank.com/rates", "primary"),
    ]
    expected_sov = 100 * len(result.mention_text.encode()) / len(ANSWER.encode())
    assert result.share_of_voice == round(expected_sov, 4)
    assert result.evaluator == "deterministic" and result.cost == 0


def test_not_mentioned_answer_still_has_competitors_and_citations() -> None:
    result = evaluate("Try **Chase** or [Ally](https://ally.com/bank/).")
    assert result.mentioned is False
    assert result.mention_text is None and result.sentiment is None and result.mention_rank is None
    assert result.share_of_voice == 0.0 and result.mention_count == 0
    assert result.competitors == ["Chase", "Ally"]
    assert [c.url for c in result.citations] == ["https://ally.com/bank"]
    assert result.citation is False


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_answer_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInputError):
        evaluate(text)


def test_failed_run_placeholder_is_not_evaluated() -> None:
    result = evaluate(f"{FAILED_RUN_PLACEHOLDER}\n")
    assert result.failed_run is True
    assert result.mentioned is False and result.citation is False
    assert result.citations == [] and result.competitors == [] and result.mention_rank is None


def test_empty_variations_fall_back_to_the_org_name() -> None:
    verifier, extractor = DeterministicMentionVerifier(), DeterministicCompetitorExtractor()
    result = evaluate_answer(
        ANSWER, ACME, ["", "  "], verifier=verifier, competitor_extractor=extractor
    )
    assert result.mentioned is True


class _VerifiedWithoutText:
    label = "llm"

    def verify(
        self, response_text: str, org_name: str, candidates: list[MentionSpan]
    ) -> MentionVerification:
        return MentionVerification(
            is_mention_verified=True, sentiment="positive", mention_text="  "
        )


class _PaidExtractor:
    label = "llm"

    def extract(
        self, response_text: str, org_name: str, variations: list[str]
    ) -> CompetitorExtraction:
        return CompetitorExtraction(
            competitors=["Chase", "Ally", "Citi"],
            usage=Usage(input_tokens=100, output_tokens=20, cost=0.001),
        )


def test_mentioned_requires_verification_and_non_empty_text() -> None:
    result = evaluate_answer(
        ANSWER,
        ACME,
        ["Acme Bank"],
        verifier=_VerifiedWithoutText(),
        competitor_extractor=_PaidExtractor(),
    )
    assert result.mentioned is False and result.sentiment is None and result.share_of_voice == 0


def test_competitor_cost_is_recorded_once_per_answer() -> None:
    result = evaluate_answer(
        ANSWER,
        ACME,
        ["Acme Bank"],
        verifier=DeterministicMentionVerifier(),
        competitor_extractor=_PaidExtractor(),
    )
    assert result.competitor_usage == Usage(input_tokens=100, output_tokens=20, cost=0.001)
    assert (result.input_tokens, result.output_tokens, result.cost) == (100, 20, 0.001)
    assert result.evaluator == "llm"
