"""The language-model components against a local chat-completions server, through the SDK."""

from __future__ import annotations

import pytest

from handlers.errors import ProviderError, ProviderTransientError
from handlers.evaluation import (
    LLMCompetitorExtractor,
    LLMMentionVerifier,
    LLMVariationGenerator,
    OrgProfile,
    build_evaluator_components,
    evaluate_answer,
    find_mentions,
)
from handlers.evaluation.llm_clients import FallbackCompetitorExtractor, FallbackVerifier
from handlers.evaluation.pricing import call_cost
from tests.unit.evaluation.fake_chat_server import FakeChatServer

ANSWER = (
    "1. **Chase** – big.\n"
    "2. **Acme Bank** – Acme Bank has excellent service.\n"
    "3. **Ally** – online. See https://www.acmebank.com/rates/?utm_source=x.\n"
)
ORG = OrgProfile(name="Acme Bank", websites=["acmebank.com"])


def test_variation_generator_sends_strict_schema_and_cleans_names(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply(
        "name_variations_extraction",
        {
            "names": [
                "acme bank",
                "",
                "  ",
                "AB",
                "https://acmebank.com",
                "info@acme.com",
                "AcmeBank",
                "acme bank",
            ]
        },
    )
    result = LLMVariationGenerator(chat_server.client(), "gpt-4.1-mini").generate(
        "Acme Bank", ["acmebank.com"]
    )
    assert result.names == ["Acme Bank", "acme bank", "AcmeBank"]
    assert result.generator == "llm:gpt-4.1-mini"
    assert (result.input_tokens, result.output_tokens) == (120, 30)
    assert result.cost == call_cost("gpt-4.1-mini", 120, 30) > 0
    request = chat_server.requests[0]
    schema = request["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["schema"]["required"] == ["names"]
    assert "acmebank.com" in request["messages"][1]["content"]
    assert request["temperature"] == 0.0


def test_verifier_normalises_sentiment_and_keeps_verbatim_passages(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply(
        "org_mention_verification_extraction",
        {
            "is_mention_verified": True,
            "sentiment": "Positive",
            "mention_text": (
                "**Acme Bank** – Acme Bank has excellent service. || a paraphrase not in the text"
            ),
        },
    )
    verifier = LLMMentionVerifier(chat_server.client(), "gpt-4.1")
    result = verifier.verify(ANSWER, "Acme Bank", find_mentions(ANSWER, ["Acme Bank"]))
    assert result.is_mention_verified and result.sentiment == "positive"
    # The evidence keeps the model's own label before normalisation.
    assert result.sentiment_evidence is not None
    assert result.sentiment_evidence.model_label == "Positive"
    assert result.mention_text == "**Acme Bank** – Acme Bank has excellent service."
    assert result.usage.input_tokens == 120
    schema = chat_server.requests[0]["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) == {"is_mention_verified", "sentiment", "mention_text"}


def test_verifier_is_not_called_without_candidates(chat_server: FakeChatServer) -> None:
    result = LLMMentionVerifier(chat_server.client()).verify("No banks here.", "Acme Bank", [])
    assert not result.is_mention_verified and chat_server.requests == []


def test_llm_evaluation_end_to_end_records_competitor_cost_once(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply(
        "org_mention_verification_extraction",
        {
            "is_mention_verified": True,
            "sentiment": "positive",
            "mention_text": "Acme Bank has excellent service.",
        },
    )
    chat_server.reply(
        "competitor_extraction", {"competitors": ["Chase", " Ally ", "chase", "Acme Bank", ""]}
    )
    _, verifier, extractor = build_evaluator_components(chat_server.client(), "gpt-4.1-mini")
    assert isinstance(verifier, FallbackVerifier) and isinstance(
        verifier.primary, LLMMentionVerifier
    )
    assert isinstance(extractor, FallbackCompetitorExtractor) and isinstance(
        extractor.primary, LLMCompetitorExtractor
    )
    result = evaluate_answer(
        ANSWER, ORG, ["Acme Bank", "acmebank"], verifier=verifier, competitor_extractor=extractor
    )
    assert result.evaluator == "llm"
    assert result.mentioned and result.sentiment == "positive"
    assert result.competitors == ["Chase", "Ally"]
    assert result.mention_rank == 2
    assert result.citation is True
    one_call = call_cost("gpt-4.1-mini", 120, 30)
    assert result.competitor_usage.cost == one_call
    assert result.cost == pytest.approx(2 * one_call)
    assert chat_server.schema_names() == [
        "org_mention_verification_extraction",
        "competitor_extraction",
    ]


def test_unverified_mention_is_not_mentioned(chat_server: FakeChatServer) -> None:
    chat_server.reply(
        "org_mention_verification_extraction",
        {"is_mention_verified": False, "sentiment": "neutral", "mention_text": ""},
    )
    chat_server.reply("competitor_extraction", {"competitors": []})
    _, verifier, extractor = build_evaluator_components(chat_server.client(), None)
    result = evaluate_answer(
        ANSWER, ORG, ["Acme Bank"], verifier=verifier, competitor_extractor=extractor
    )
    assert (
        not result.mentioned
        and result.share_of_voice == 0
        and result.verification_usage.input_tokens == 120
    )


def test_throttling_is_a_transient_provider_error(chat_server: FakeChatServer) -> None:
    chat_server.fail("competitor_extraction", 429, {"retry-after": "7"})
    extractor = LLMCompetitorExtractor(chat_server.client())
    with pytest.raises(ProviderTransientError) as caught:
        extractor.extract(ANSWER, "Acme Bank", ["Acme Bank"])
    assert caught.value.retry_after == 7.0


def test_server_error_is_transient_and_bad_request_is_permanent(
    chat_server: FakeChatServer,
) -> None:
    chat_server.fail("competitor_extraction", 503)
    chat_server.fail("competitor_extraction", 400)
    extractor = LLMCompetitorExtractor(chat_server.client())
    with pytest.raises(ProviderTransientError):
        extractor.extract(ANSWER, "Acme Bank", [])
    with pytest.raises(ProviderError):
        extractor.extract(ANSWER, "Acme Bank", [])


def test_answer_not_matching_the_schema_is_a_provider_error(chat_server: FakeChatServer) -> None:
    chat_server.reply("competitor_extraction", {"names": ["Chase"]})
    with pytest.raises(ProviderError, match="does not match the schema"):
        LLMCompetitorExtractor(chat_server.client()).extract(ANSWER, "Acme Bank", [])


def test_reasoning_models_get_an_effort_instead_of_a_temperature(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply("competitor_extraction", {"competitors": ["Chase"]})
    LLMCompetitorExtractor(chat_server.client(), "gpt-5-mini").extract(ANSWER, "Acme Bank", [])
    request = chat_server.requests[0]
    assert request["reasoning_effort"] == "low" and "temperature" not in request


def test_factory_without_client_is_deterministic() -> None:
    components = build_evaluator_components(None, "ignored")
    assert [c.label for c in components] == ["deterministic"] * 3
