"""Builds the evaluation components: language-model ones with a client, offline ones without.

The caller owns the client (OpenAI, or Azure OpenAI through `AzureDeployments`), so this
module reads no environment and opens no connection. The client is wrapped in a response cache,
and the verifier and competitor extractor fall back to the offline ones when the model fails
for good.
"""

from __future__ import annotations

from typing import Any

from handlers.evaluation.competitors import (
    DEFAULT_COMPETITOR_MODEL,
    CompetitorExtractor,
    DeterministicCompetitorExtractor,
    LLMCompetitorExtractor,
)
from handlers.evaluation.llm_clients import (
    CachedCompletions,
    FallbackCompetitorExtractor,
    FallbackVerifier,
)
from handlers.evaluation.variations import (
    DEFAULT_VARIATIONS_MODEL,
    DeterministicVariationGenerator,
    LLMVariationGenerator,
    NameVariationGenerator,
)
from handlers.evaluation.verifiers import (
    DEFAULT_VERIFICATION_MODEL,
    DeterministicMentionVerifier,
    LLMMentionVerifier,
    MentionVerifier,
)


def build_evaluator_components(
    openai_client: Any | None, model: str | None
) -> tuple[NameVariationGenerator, MentionVerifier, CompetitorExtractor]:
    """The variation generator, mention verifier and competitor extractor to evaluate with.

    With a client, `model` (when given) is used for all three calls; otherwise each call keeps
    its default model (gpt-4.1-mini for variations and competitors, gpt-4.1 for verification).
    """
    if openai_client is None:
        return (
            DeterministicVariationGenerator(),
            DeterministicMentionVerifier(),
            DeterministicCompetitorExtractor(),
        )
    # Typed as the SDK client: the wrapper exposes the one method the components call.
    client: Any = CachedCompletions(openai_client)
    return (
        LLMVariationGenerator(client, model or DEFAULT_VARIATIONS_MODEL),
        FallbackVerifier(LLMMentionVerifier(client, model or DEFAULT_VERIFICATION_MODEL)),
        FallbackCompetitorExtractor(
            LLMCompetitorExtractor(client, model or DEFAULT_COMPETITOR_MODEL)
        ),
    )
