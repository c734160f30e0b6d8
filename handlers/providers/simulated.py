"""The simulated answer provider: the offline default, free and deterministic.

Every answer is a pure function of (seed, cell key, question, model, country), so tests, demos
and benchmarks repeat exactly. Whether the org is mentioned depends on the model and the country
(`mention_probability`, between 0.35 and 0.8) so dashboards built on simulated runs show
plausible differences. Answers are labelled three ways: provider "simulated", `simulated=True`
and a visible marker as the first line of the text, so none can pass for a real one.

Faults can be injected (`error_rate`): each *attempt* at a cell draws from (seed, cell, attempt
number), so a retry of a failed attempt may succeed, and two runs with the same seed fail the
same way. Half of the faults raise `ProviderTransientError` for the whole call, half come back
as a transient per-cell `ProviderFailure`.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable

from handlers.errors import ProviderTransientError
from handlers.providers.base import (
    CellPrompt,
    ProviderAnswer,
    ProviderFailure,
    localised_question,
    location_phrase,
)
from handlers.providers.countries import normalise_country_code
from handlers.providers.simulated_text import compose_answer

MIN_MENTION_PROBABILITY = 0.35
MAX_MENTION_PROBABILITY = 0.80


def _unit(*parts: str) -> float:
    """A stable number in [0, 1) for the given parts (unlike hash(), stable across processes)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))  # noqa: S311 - not for security


def mention_probability(model: str, country_code: str) -> float:
    """How likely the simulated `model` is to mention the org for users in that country."""
    model_affinity = _unit("model", model.strip().casefold())
    country_affinity = _unit("country", normalise_country_code(country_code))
    spread = MAX_MENTION_PROBABILITY - MIN_MENTION_PROBABILITY
    return MIN_MENTION_PROBABILITY + spread * (0.65 * model_affinity + 0.35 * country_affinity)


def _tokens(text: str) -> int:
    # About four characters per token for English prose, which is all the estimate needs.
    return max(1, math.ceil(len(text) / 4))


class SimulatedProvider:
    """Answers any model and location offline; see the module docstring."""

    name = "simulated"

    def __init__(
        self,
        *,
        seed: int,
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        max_batch: int = 20,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        self.seed = seed
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.max_batch = max_batch
        self._sleep = sleep
        self._attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def answer(self, prompts: list[CellPrompt]) -> list[ProviderAnswer | ProviderFailure]:
        results: list[ProviderAnswer | ProviderFailure] = []
        for prompt in prompts:
            failure = self._injected_failure(prompt)
            if failure is not None:
                results.append(failure)
                continue
            results.append(self.answer_one(prompt))
        return results

    def answer_one(self, prompt: CellPrompt) -> ProviderAnswer:
        """The deterministic answer of one cell, without fault injection."""
        country = normalise_country_code(prompt.country_code)
        seed = str(self.seed)
        key = (seed, prompt.cell_key, prompt.question, prompt.model.strip().casefold(), country)
        mentioned = _unit("mention", *key) < mention_probability(prompt.model, country)
        composed = compose_answer(
            _rng("text", *key),
            question=prompt.question,
            place=location_phrase(country, prompt.region_name),
            org_name=prompt.org_name,
            org_websites=prompt.org_websites,
            mention_org=mentioned,
        )
        latency_ms = self.latency_ms * (0.5 + _unit("latency", *key)) if self.latency_ms else 0.0
        if latency_ms:
            self._sleep(latency_ms / 1000)
        return ProviderAnswer(
            cell_key=prompt.cell_key,
            text=composed.text,
            provider=self.name,
            model=prompt.model,
            input_tokens=_tokens(localised_question(prompt)),
            output_tokens=_tokens(composed.text),
            cost_usd=0.0,
            simulated=True,
            latency_ms=latency_ms,
        )

    def _injected_failure(self, prompt: CellPrompt) -> ProviderFailure | None:
        if self.error_rate <= 0:
            return None
        with self._lock:
            self._attempts[prompt.cell_key] += 1
            attempt = self._attempts[prompt.cell_key]
        parts = (str(self.seed), prompt.cell_key, str(attempt))
        if _unit("fault", *parts) >= self.error_rate:
            return None
        if _unit("fault-kind", *parts) < 0.5:
            raise ProviderTransientError(
                f"simulated transient failure for cell {prompt.cell_key} (attempt {attempt})"
            )
        return ProviderFailure(
            cell_key=prompt.cell_key,
            reason=f"simulated failure (attempt {attempt})",
            transient=True,
        )
