"""The BrightData scrapers against a local fake of datasets v3."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.providers import (
    PLACEHOLDER_TEXT,
    ModelRoute,
    ProviderAnswer,
    ProviderFailure,
    ProviderRegistry,
    ProvidersConfig,
    build_registry,
)
from handlers.providers.base import localised_question
from handlers.providers.brightdata import link_citations
from handlers.providers.config import BrightDataConfig, RateLimitConfig, RetryConfig
from tests.fakes import FakeBrightDataServer, FakeClock, Reply

MODELS = {"chatgpt": "brightdata_chatgpt", "perplexity": "brightdata_perplexity",
          "gemini": "brightdata_gemini"}  # fmt: skip


def config_for(server: FakeBrightDataServer, **overrides: Any) -> ProvidersConfig:
    settings: dict[str, Any] = {
        "api_key": SecretStr(server.api_key),
        "base_url": server.base_url,
        "chatgpt_dataset_id": "gd_chatgpt",
        "perplexity_dataset_id": "gd_perplexity",
        "gemini_dataset_id": "gd_gemini",
        "chatgpt_chunk_size": 20,
        "timeout_s": 5.0,
        "poll_interval_s": 10.0,
        "poll_deadline_s": 120.0,
        "snapshot_retry_interval_s": 5.0,
        "rate_limit": RateLimitConfig(rpm=None, max_concurrency=2),
        "retry": RetryConfig(max_attempts=3, initial_backoff_s=2.0, jitter_s=0),
    }
    settings.update(overrides)
    routes = {model: ModelRoute(provider=kind) for model, kind in MODELS.items()}  # type: ignore[arg-type]
    return ProvidersConfig(
        routes=routes, default_provider=None, brightdata=BrightDataConfig(**settings)
    )


@contextmanager
def registry_for(
    server: FakeBrightDataServer, clock: FakeClock, **overrides: Any
) -> Iterator[ProviderRegistry]:
    registry = build_registry(
        config_for(server, **overrides),
        simulated_seed=0,
        http_client_factory=lambda _: httpx.Client(),
        clock=clock,
        sleep=clock.sleep,
    )
    with registry:
        yield registry


def cells(make_cell, model: str, count: int, **overrides: Any) -> list:
    return [make_cell(n, model=model, **overrides) for n in range(1, count + 1)]


@pytest.mark.parametrize("model", ["chatgpt", "perplexity", "gemini"])
def test_happy_path_per_dataset(make_cell, clock, model) -> None:
    prompts = cells(make_cell, model, 3, country_code="uk")
    with FakeBrightDataServer(ready_after_polls=2) as server, registry_for(server, clock) as reg:
        results = reg.resolve(model).answer(prompts)

    [(dataset_id, body)] = server.triggers
    assert dataset_id == f"gd_{model}"
    trigger = server.requests[0]
    assert trigger.query == {"dataset_id": f"gd_{model}", "include_errors": "true"}
    assert trigger.headers["authorization"] == f"Bearer {server.api_key}"
    inputs = body["input"] if model == "chatgpt" else body
    assert isinstance(inputs, list) and [i["index"] for i in inputs] == [1, 2, 3]
    assert {i["country"] for i in inputs} == {"GB"}  # UK is an alias of GB
    assert inputs[0]["prompt"] == localised_question(prompts[0])
    expected_keys = {
        "chatgpt": {"url", "prompt", "country", "web_search", "index", "additional_prompt"},
        "perplexity": {"url", "prompt", "country", "index", "export_markdown_file"},
        "gemini": {"url", "prompt", "country", "index"},
    }[model]
    assert set(inputs[0]) == expected_keys
    if model == "chatgpt":
        assert inputs[0]["web_search"] is True and inputs[0]["url"] == "https://chatgpt.com/"

    assert [r.cell_key for r in results] == [p.cell_key for p in prompts]
    for n, result in enumerate(results, 1):
        assert isinstance(result, ProviderAnswer)
        assert result.provider == f"brightdata_{model}" and result.model == model
        assert result.cost_usd == 0.0015 and result.input_tokens is None
        assert result.text.startswith(f"Answer {n} from gd_{model}")
        if model == "chatgpt":
            assert f"[1](https://example.org/{n})" in result.text
        else:
            assert result.text.endswith("Source [1].")
    assert clock.sleeps == [10.0]  # one poll said running, the second ready


def test_out_of_order_records_are_matched_by_index(make_cell, clock) -> None:
    def shuffled(dataset_id: str, inputs: list) -> list:
        records = [
            {"index": i["index"], "answer_text_markdown": f"for {i['index']}"} for i in inputs
        ]
        return [records[2], records[0], records[3], records[1]]

    with FakeBrightDataServer(records=shuffled) as server, registry_for(server, clock) as reg:
        results = reg.resolve("gemini").answer(cells(make_cell, "gemini", 4))
    assert [r.text for r in results] == ["for 1", "for 2", "for 3", "for 4"]  # type: ignore[union-attr]


def test_records_without_index_fall_back_to_the_prompt(make_cell, clock) -> None:
    def by_prompt(dataset_id: str, inputs: list) -> list:
        records = [{"prompt": i["prompt"], "answer_text_markdown": f"re {i['prompt'][-4:]}"}
                   for i in inputs]  # fmt: skip
        return records[::-1]

    prompts = cells(make_cell, "perplexity", 3)
    with FakeBrightDataServer(records=by_prompt) as server, registry_for(server, clock) as reg:
        results = reg.resolve("perplexity").answer(prompts)
    assert [r.text for r in results] == ["re (#1)", "re (#2)", "re (#3)"]  # type: ignore[union-attr]


def test_an_index_contradicted_by_its_prompt_is_not_trusted(make_cell, clock) -> None:
    def zero_based(dataset_id: str, inputs: list) -> list:
        return [{"index": i["index"] - 1, "prompt": i["prompt"],
                 "answer_text_markdown": f"for {i['index']}"} for i in inputs]  # fmt: skip

    with FakeBrightDataServer(records=zero_based) as server, registry_for(server, clock) as reg:
        results = reg.resolve("gemini").answer(cells(make_cell, "gemini", 3))
    assert [r.text for r in results] == ["for 1", "for 2", "for 3"]  # type: ignore[union-attr]


def test_an_unmatched_cell_fails_alone(make_cell, clock) -> None:
    def missing_second(dataset_id: str, inputs: list) -> list:
        return [{"index": i["index"], "answer_text_markdown": "ok"} for i in inputs
                if i["index"] != 2] + [{"answer_text_markdown": "orphan"}]  # fmt: skip

    with FakeBrightDataServer(records=missing_second) as server, registry_for(server, clock) as reg:
        results = reg.resolve("gemini").answer(cells(make_cell, "gemini", 3))
    assert isinstance(results[0], ProviderAnswer) and isinstance(results[2], ProviderAnswer)
    assert isinstance(results[1], ProviderFailure)
    assert results[1].transient and results[1].cell_key == "q2:m1:l1"


def test_error_and_empty_records_become_placeholders(make_cell, clock) -> None:
    def with_errors(dataset_id: str, inputs: list) -> list:
        return [
            {"input": {"index": 1}, "error": "Page did not load", "error_code": "dead_page"},
            {"index": 2, "answer_text_markdown": "   "},
            {"index": 3, "answer_text_markdown": "a real answer"},
        ]

    with FakeBrightDataServer(records=with_errors) as server, registry_for(server, clock) as reg:
        results = reg.resolve("chatgpt").answer(cells(make_cell, "chatgpt", 3))
    for result in results[:2]:
        assert isinstance(result, ProviderAnswer)
        assert result.placeholder is True and result.text == PLACEHOLDER_TEXT
        assert result.cost_usd == 0.0
    assert isinstance(results[2], ProviderAnswer) and results[2].placeholder is False


def test_polling_deadline_raises_transient(make_cell, clock) -> None:
    with (
        FakeBrightDataServer(ready_after_polls=10_000) as server,
        registry_for(server, clock, poll_deadline_s=60.0) as reg,
        pytest.raises(ProviderTransientError, match="not ready within 60 s"),
    ):
        reg.resolve("gemini").answer(cells(make_cell, "gemini", 2))
    assert clock.slept <= 60.0
    assert server.snapshots["s_1"].polls == 7  # at t = 0, 10, ... 60 s; never past the deadline


def test_failed_snapshot_raises_transient(make_cell, clock) -> None:
    with (
        FakeBrightDataServer(progress_status="failed") as server,
        registry_for(server, clock) as reg,
        pytest.raises(ProviderTransientError, match="failed"),
    ):
        reg.resolve("gemini").answer(cells(make_cell, "gemini", 1))


def test_poll_errors_are_polled_through(make_cell, clock) -> None:
    script = {"progress": [Reply(500, "oops"), Reply(200, "<html>")]}
    with FakeBrightDataServer(script=script) as server, registry_for(server, clock) as reg:
        results = reg.resolve("gemini").answer(cells(make_cell, "gemini", 1))
    assert isinstance(results[0], ProviderAnswer)
    assert clock.sleeps == [10.0, 10.0]


def test_snapshot_building_then_ready(make_cell, clock) -> None:
    with FakeBrightDataServer(building_fetches=3) as server, registry_for(server, clock) as reg:
        results = reg.resolve("perplexity").answer(cells(make_cell, "perplexity", 2))
    assert all(isinstance(r, ProviderAnswer) for r in results)
    assert clock.sleeps == [5.0, 5.0, 5.0]
    assert server.snapshots["s_1"].fetches == 4


def test_snapshot_still_building_after_max_attempts_is_transient(make_cell, clock) -> None:
    with (
        FakeBrightDataServer(building_fetches=100) as server,
        registry_for(server, clock, snapshot_max_attempts=3) as reg,
        pytest.raises(ProviderTransientError, match="still building"),
    ):
        reg.resolve("perplexity").answer(cells(make_cell, "perplexity", 1))
    assert server.snapshots["s_1"].fetches == 3


def test_trigger_throttled_then_accepted(make_cell, clock) -> None:
    script = {"trigger": [Reply(429, {"error": "busy"}, {"Retry-After": "9"})]}
    with FakeBrightDataServer(script=script) as server, registry_for(server, clock) as reg:
        results = reg.resolve("gemini").answer(cells(make_cell, "gemini", 1))
    assert isinstance(results[0], ProviderAnswer)
    assert clock.sleeps[0] == 9.0 and len(server.triggers) == 1


def test_bad_key_raises_provider_error(make_cell, clock) -> None:
    with (
        FakeBrightDataServer(api_key="right") as server,
        registry_for(server, clock, api_key=SecretStr("wrong")) as reg,
        pytest.raises(ProviderError, match="HTTP 401") as caught,
    ):
        reg.resolve("gemini").answer(cells(make_cell, "gemini", 1))
    assert not isinstance(caught.value, ProviderTransientError)
    assert len(server.requests) == 1


def test_unknown_country_is_rejected_before_any_request(make_cell, clock) -> None:
    prompts = [make_cell(1, model="gemini"), make_cell(2, model="gemini", country_code="XK")]
    with (
        FakeBrightDataServer() as server,
        registry_for(server, clock) as reg,
        pytest.raises(InvalidInputError, match="unknown country code 'XK'"),
    ):
        reg.resolve("gemini").answer(prompts)
    assert server.requests == []


def test_prompts_are_chunked_by_max_batch(make_cell, clock) -> None:
    with (
        FakeBrightDataServer() as server,
        registry_for(server, clock, perplexity_chunk_size=2) as reg,
    ):
        provider = reg.resolve("perplexity")
        results = provider.answer(cells(make_cell, "perplexity", 5))
    assert provider.max_batch == 2
    assert [len(body) for _, body in server.triggers] == [2, 2, 1]
    assert [r.cell_key for r in results] == [f"q{n}:m1:l1" for n in range(1, 6)]
    assert all(isinstance(r, ProviderAnswer) for r in results)


def test_chunk_size_above_twenty_is_rejected() -> None:
    with pytest.raises(ValueError, match="less than or equal to 20"):
        BrightDataConfig(gemini_chunk_size=21)


def test_citation_markers_become_links() -> None:
    links = [
        {"position": 1, "url": "https://a.example"},
        {"position": 2, "url": "https://b.example"},
    ]
    text = "See [1] and \\[2\\], not [3] nor [1](https://kept.example)."
    assert link_citations(text, links) == (
        "See [1](https://a.example) and [2](https://b.example), not [3] nor "
        "[1](https://kept.example)."
    )
