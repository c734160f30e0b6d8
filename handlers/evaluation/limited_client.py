"""An OpenAI client whose chat completions wait for a rate limiter.

The LLM evaluator (variations, mention verification, competitors) spends the same account's
requests and tokens as the answer calls. Passing its calls through the OpenAI provider's
limiter keeps the whole matrix under the account's limits instead of letting the
evaluator race the answers into 429s.
"""

from __future__ import annotations

from typing import Any

from handlers.providers.limiting import Limiter

# Structured answers are short; a generous guess is corrected by the reported usage.
EXPECTED_COMPLETION_TOKENS = 500


class _Chat:
    def __init__(self, completions: LimitedCompletions) -> None:
        self.completions = completions


class LimitedCompletions:
    def __init__(self, client: Any, limiter: Limiter) -> None:
        self._client = client
        self._limiter = limiter

    def create(self, **kwargs: Any) -> Any:
        messages = kwargs.get("messages") or []
        prompt_chars = sum(len(str(message.get("content", ""))) for message in messages)
        estimate = prompt_chars // 4 + EXPECTED_COMPLETION_TOKENS
        with self._limiter.slot(estimate) as reservation:
            completion = self._client.chat.completions.create(**kwargs)
            usage = getattr(completion, "usage", None)
            reservation.settle(getattr(usage, "total_tokens", None))
        return completion


class RateLimitedOpenAI:
    """Exposes `chat.completions.create` like `openai.OpenAI`, rate limited."""

    def __init__(self, client: Any, limiter: Limiter) -> None:
        self.chat = _Chat(LimitedCompletions(client, limiter))
