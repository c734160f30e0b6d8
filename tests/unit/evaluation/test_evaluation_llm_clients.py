"""The LLM evaluator's clients: Azure deployments, the response cache and the offline fallback."""

from __future__ import annotations

import pytest

from handlers.errors import ProviderTransientError
from handlers.evaluation import (
    LLMMentionVerifier,
    OrgProfile,
    build_evaluator_components,
    evaluate_answer,
    find_mentions,
)
from handlers.evaluation.llm_clients import AzureDeployments, CachedCompletions, FallbackVerifier
from handlers.evaluation.pricing import call_cost
from tests.unit.evaluation.fake_chat_server import FakeChatServer

ANSWER = "1. **Chase** – big.\n2. **Acme Bank** – Acme Bank has excellent service.\n"
ORG = OrgProfile(name="Acme Bank")
VERIFIED = {"is_mention_verified": True, "sentiment": "positive", "mention_text": ""}


def test_azure_deployment_is_requested_and_the_model_is_priced(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply("org_mention_verification_extraction", VERIFIED)
    client = AzureDeployments(chat_server.client(), {"gpt-4.1": "eval-prod-41"})
    spans = find_mentions(ANSWER, ["Acme Bank"])
    result = LLMMentionVerifier(client, "gpt-4.1").verify(ANSWER, "Acme Bank", spans)  # type: ignore[arg-type]
    assert chat_server.requests[0]["model"] == "eval-prod-41"
    assert result.usage.cost == call_cost("gpt-4.1", 120, 30) > 0


def test_a_repeated_request_is_answered_from_the_cache_and_paid_once(
    chat_server: FakeChatServer,
) -> None:
    chat_server.reply("name_variations_extraction", {"names": ["Acme Bank"]})
    chat_server.reply("org_mention_verification_extraction", VERIFIED)
    chat_server.reply("competitor_extraction", {"competitors": ["Chase"]})
    generator, verifier, extractor = build_evaluator_components(chat_server.client(), None)
    names = generator.generate(ORG.name, []).names
    first = evaluate_answer(ANSWER, ORG, names, verifier=verifier, competitor_extractor=extractor)
    again = evaluate_answer(ANSWER, ORG, names, verifier=verifier, competitor_extractor=extractor)
    assert len(chat_server.requests) == 3  # variations, verification, competitors: once each
    assert first.cost > 0 and again.cost == 0
    assert (again.mentioned, again.sentiment, again.competitors) == (True, "positive", ["Chase"])


def test_cache_keys_on_the_messages(chat_server: FakeChatServer) -> None:
    chat_server.reply("org_mention_verification_extraction", VERIFIED)
    chat_server.reply("org_mention_verification_extraction", VERIFIED)
    verifier = LLMMentionVerifier(CachedCompletions(chat_server.client()), "gpt-4.1")  # type: ignore[arg-type]
    other = ANSWER + "3. **Ally** – online.\n"
    for text in (ANSWER, other, ANSWER):
        verifier.verify(text, "Acme Bank", find_mentions(text, ["Acme Bank"]))
    assert len(chat_server.requests) == 2


def test_a_permanent_model_failure_falls_back_to_the_offline_verdict(
    chat_server: FakeChatServer,
) -> None:
    chat_server.fail("org_mention_verification_extraction", 400)
    verifier = FallbackVerifier(LLMMentionVerifier(chat_server.client(), "gpt-4.1"))
    result = verifier.verify(ANSWER, "Acme Bank", find_mentions(ANSWER, ["Acme Bank"]))
    assert result.is_mention_verified and result.sentiment == "positive"
    assert result.sentiment_evidence is not None and result.sentiment_evidence.method == "lexicon"


def test_a_transient_model_failure_is_still_raised(chat_server: FakeChatServer) -> None:
    chat_server.fail("org_mention_verification_extraction", 429, {"retry-after": "1"})
    verifier = FallbackVerifier(LLMMentionVerifier(chat_server.client(), "gpt-4.1"))
    with pytest.raises(ProviderTransientError):
        verifier.verify(ANSWER, "Acme Bank", find_mentions(ANSWER, ["Acme Bank"]))
