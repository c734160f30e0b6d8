"""The simulated provider: deterministic, labelled, plausible, and model/country dependent."""

from __future__ import annotations

import re

import pytest

from handlers.errors import InvalidInputError, ProviderTransientError
from handlers.providers import ProviderAnswer, ProviderFailure, SimulatedProvider
from handlers.providers.simulated import (
    MAX_MENTION_PROBABILITY,
    MIN_MENTION_PROBABILITY,
    mention_probability,
)
from handlers.providers.simulated_text import BRAND_POOL, SIMULATED_MARKER
from tests.fakes import FakeClock

LINK = re.compile(r"\[[^\]]+\]\((https?://[^)]+)\)")


def _answers(provider: SimulatedProvider, cells: list) -> list[ProviderAnswer]:
    results = provider.answer(cells)
    assert all(isinstance(result, ProviderAnswer) for result in results)
    return results  # type: ignore[return-value]


def test_same_seed_and_cell_give_the_same_answer(make_cell) -> None:
    cells = [make_cell(n) for n in range(20)]
    first = _answers(SimulatedProvider(seed=3), cells)
    again = _answers(SimulatedProvider(seed=3), cells)
    other_seed = _answers(SimulatedProvider(seed=4), cells)
    assert first == again
    assert sum(a.text != b.text for a, b in zip(first, other_seed, strict=True)) >= 15


def test_answer_depends_on_model_and_country(make_cell) -> None:
    provider = SimulatedProvider(seed=1)
    base = provider.answer_one(make_cell(1))
    assert provider.answer_one(make_cell(1, model="gemini")).text != base.text
    assert provider.answer_one(make_cell(1, country_code="DE")).text != base.text


def test_every_answer_is_labelled_simulated_and_free(make_cell) -> None:
    for answer in _answers(SimulatedProvider(seed=9), [make_cell(n) for n in range(30)]):
        assert answer.provider == "simulated"
        assert answer.simulated is True
        assert answer.placeholder is False
        assert answer.text.startswith(SIMULATED_MARKER)
        assert answer.cost_usd == 0.0
        assert answer.model == "gpt-4.1"
        assert answer.input_tokens and answer.output_tokens
        assert answer.output_tokens == pytest.approx(len(answer.text) / 4, abs=1)


def test_answers_look_like_real_markdown_answers(make_cell) -> None:
    answers = _answers(SimulatedProvider(seed=5), [make_cell(n) for n in range(60)])
    brand_names = {brand.name for brand in BRAND_POOL}
    tables = 0
    for answer in answers:
        items = re.findall(r"^\d+\. \*\*(.+?)\*\*", answer.text, flags=re.MULTILINE)
        assert 3 <= len(items) <= 7
        assert set(items) - {"Acme Credit Union"} <= brand_names
        links = LINK.findall(answer.text)
        assert 1 <= len(links) <= 5
        mentioned = "Acme Credit Union" in answer.text
        assert ("acmecu.org" in answer.text) <= mentioned  # cited only when mentioned
        tables += "| --- |" in answer.text
    assert 0 < tables < len(answers)
    assert any("Acme Credit Union's" in answer.text for answer in answers)


def test_mention_probability_stays_in_range_and_varies() -> None:
    models = ["chatgpt", "perplexity", "gemini", "gpt-4.1", "gpt-5", "claude"]
    countries = ["US", "GB", "DE", "FR", "JP", "BR", "IN"]
    values = [mention_probability(m, c) for m in models for c in countries]
    assert all(MIN_MENTION_PROBABILITY <= v <= MAX_MENTION_PROBABILITY for v in values)
    assert max(values) - min(values) > 0.15


def test_observed_mention_rate_follows_model_and_country(make_cell) -> None:
    pairs = [(m, c) for m in ["chatgpt", "perplexity", "gemini", "gpt-5"] for c in ["US", "DE"]]
    low = min(pairs, key=lambda pair: mention_probability(*pair))
    high = max(pairs, key=lambda pair: mention_probability(*pair))
    provider = SimulatedProvider(seed=11)
    rates = {}
    for model, country in (low, high):
        cells = [make_cell(n, model=model, country_code=country) for n in range(400)]
        answers = _answers(provider, cells)
        rates[(model, country)] = sum("Acme Credit Union" in a.text for a in answers) / 400
        # 400 Bernoulli draws: the standard deviation is at most 0.025.
        assert rates[(model, country)] == pytest.approx(
            mention_probability(model, country), abs=0.1
        )
    assert rates[high] > rates[low]


def test_latency_is_simulated_through_the_injected_sleep(make_cell) -> None:
    clock = FakeClock()
    provider = SimulatedProvider(seed=2, latency_ms=200, sleep=clock.sleep)
    answers = _answers(provider, [make_cell(n) for n in range(10)])
    assert len(clock.sleeps) == 10
    assert all(0.1 <= s <= 0.3 for s in clock.sleeps)
    assert [a.latency_ms / 1000 for a in answers] == pytest.approx(clock.sleeps)


def test_injected_errors_are_deterministic_and_retries_can_succeed(make_cell) -> None:
    def outcomes(provider: SimulatedProvider) -> list[str]:
        seen = []
        for n in range(40):
            for _attempt in range(6):
                try:
                    result = provider.answer([make_cell(n)])[0]
                except ProviderTransientError:
                    seen.append("raised")
                    continue
                if isinstance(result, ProviderFailure):
                    assert result.transient
                    seen.append("failed")
                    continue
                seen.append("answered")
                break
        return seen

    first = outcomes(SimulatedProvider(seed=8, error_rate=0.4))
    assert first == outcomes(SimulatedProvider(seed=8, error_rate=0.4))
    assert {"raised", "failed", "answered"} <= set(first)
    assert first.count("answered") >= 38  # six attempts at 40 % failure almost always succeed


def test_unknown_country_is_invalid_input(make_cell) -> None:
    with pytest.raises(InvalidInputError, match="unknown country code 'XX'"):
        SimulatedProvider(seed=1).answer([make_cell(1, country_code="XX")])
