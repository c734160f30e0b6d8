"""Clients for the language-model evaluator: Azure deployments, a response cache, a fallback.

- `AzureDeployments` sends a model name ("gpt-4.1") to the Azure deployment serving it, so the
  components keep asking for, and pricing, the real model (the legacy system used one Azure
  deployment for every extraction; domain §4).
- `CachedCompletions` answers a request it has seen before (same model, schema and messages)
  from memory: re-evaluating an answer, or a retried step, does not pay twice. A cached reply
  carries no usage, so its cost is recorded once, on the call that was made.
- `FallbackVerifier` and `FallbackCompetitorExtractor` use the offline components when the
  model fails for good (a bad key, a refused or malformed answer); a transient failure is
  still raised so the step retries.

All expose only `chat.completions.create`, which is all the components use.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from handlers.errors import ProviderError, ProviderTransientError
from handlers.evaluation.competitors import (
    CompetitorExtractor,
    DeterministicCompetitorExtractor,
)
from handlers.evaluation.models import CompetitorExtraction, MentionSpan, MentionVerification
from handlers.evaluation.verifiers import DeterministicMentionVerifier, MentionVerifier

CACHE_ENTRIES = 2048


class _Chat:
    def __init__(self, completions: Any) -> None:
        self.completions = completions


class _DeploymentCompletions:
    def __init__(self, client: Any, deployments: Mapping[str, str]) -> None:
        self._client = client
        self._deployments = dict(deployments)

    def create(self, **kwargs: Any) -> Any:
        model = str(kwargs.get("model", ""))
        kwargs["model"] = self._deployments.get(model, model)
        completion = self._client.chat.completions.create(**kwargs)
        # Report the model asked for, so the cost is that model's price.
        if getattr(completion, "model", None) is not None:
            completion.model = model
        return completion


class AzureDeployments:
    """An OpenAI-compatible client for Azure that maps model names to deployment names."""

    def __init__(self, client: Any, deployments: Mapping[str, str]) -> None:
        self.chat = _Chat(_DeploymentCompletions(client, deployments))


def request_key(kwargs: Mapping[str, Any]) -> str:
    """sha256 of what decides a structured answer: model, messages, format, sampling."""
    relevant = {
        k: kwargs.get(k)
        for k in ("model", "messages", "response_format", "temperature", "reasoning_effort")
    }
    encoded = json.dumps(relevant, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class _CachedCompletions:
    def __init__(self, client: Any, entries: int) -> None:
        self._client = client
        self._entries = entries
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def create(self, **kwargs: Any) -> Any:
        key = request_key(kwargs)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                hit = copy.copy(cached)
                hit.usage = None
                return hit
        completion = self._client.chat.completions.create(**kwargs)
        with self._lock:
            self._cache[key] = completion
            while len(self._cache) > self._entries:
                self._cache.popitem(last=False)
        return completion


class CachedCompletions:
    """An OpenAI-compatible client that answers repeated requests from memory."""

    def __init__(self, client: Any, entries: int = CACHE_ENTRIES) -> None:
        self.inner = client
        self.completions = _CachedCompletions(client, entries)
        self.chat = _Chat(self.completions)


class FallbackVerifier:
    """The model's verdict, or the offline one when the model fails for good."""

    def __init__(self, primary: MentionVerifier) -> None:
        self.primary = primary
        self._offline = DeterministicMentionVerifier()
        self.label = primary.label

    def verify(
        self, response_text: str, org_name: str, candidates: list[MentionSpan]
    ) -> MentionVerification:
        try:
            return self.primary.verify(response_text, org_name, candidates)
        except ProviderTransientError:
            raise
        except ProviderError:
            return self._offline.verify(response_text, org_name, candidates)


class FallbackCompetitorExtractor:
    """The model's competitors, or the offline ones when the model fails for good."""

    def __init__(self, primary: CompetitorExtractor) -> None:
        self.primary = primary
        self._offline = DeterministicCompetitorExtractor()
        self.label = primary.label

    def extract(
        self, response_text: str, org_name: str, variations: list[str]
    ) -> CompetitorExtraction:
        try:
            return self.primary.extract(response_text, org_name, variations)
        except ProviderTransientError:
            raise
        except ProviderError:
            return self._offline.extract(response_text, org_name, variations)
