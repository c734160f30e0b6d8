"""The LLM evaluator's calls wait for the same rate limiter as the answer calls."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from handlers.evaluation.limited_client import RateLimitedOpenAI
from handlers.providers.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class RecordingClient:
    def __init__(self, clock: FakeClock) -> None:
        self.calls: list[float] = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))
        self._clock = clock

    def _create(self, **kwargs: Any) -> Any:
        self.calls.append(self._clock())
        return SimpleNamespace(usage=SimpleNamespace(total_tokens=100))


def test_a_third_call_waits_for_the_window_when_rpm_is_two() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rpm=2, clock=clock, sleep=clock.sleep, wall_clock=clock)
    inner = RecordingClient(clock)
    client = RateLimitedOpenAI(inner, limiter)
    for _ in range(3):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert inner.calls[:2] == [0.0, 0.0]
    assert inner.calls[2] >= 60.0  # the third call waited for the minute window to free a slot
    assert clock.slept


def test_the_evaluator_shares_the_openai_providers_limiter(tmp_path: Any) -> None:
    from handlers.runtime import build_services
    from senso_cli.settings import load_settings

    providers = {
        "default_provider": None,
        "routes": {"gpt-4.1": {"provider": "openai"}},
        "openai": {"api_key": "sk-test-000000", "base_url": "http://127.0.0.1:9/v1"},
    }
    settings = load_settings(flags={"providers": providers}, environ={"SENSO_HOME": str(tmp_path)})
    services = build_services(settings.settings)
    provider_limiter = services.registry.resolve("gpt-4.1").limiter  # type: ignore[attr-defined]
    # verifier = Fallback(LLM(Cached(RateLimited(client)))): the limiter is the provider's.
    cached = services.verifier.primary._client  # type: ignore[attr-defined]
    assert cached.inner.chat.completions._limiter is provider_limiter
    services.close()


def test_azure_is_used_for_evaluation_when_it_has_a_deployment(tmp_path: Any) -> None:
    from handlers.evaluation.llm_clients import AzureDeployments
    from handlers.runtime import build_services
    from senso_cli.settings import load_settings

    providers = {
        "default_provider": None,
        "routes": {"gpt-4.1": {"provider": "azure_openai"}},
        "openai": {"api_key": "sk-test-000000", "base_url": "http://127.0.0.1:9/v1"},
        "azure_openai": {
            "endpoint": "http://127.0.0.1:9",
            "api_key": "azure-test-key",
            "deployments": {"gpt-4.1": "eval-41"},
        },
    }
    settings = load_settings(flags={"providers": providers}, environ={"SENSO_HOME": str(tmp_path)})
    services = build_services(settings.settings)
    verifier = services.verifier.primary  # type: ignore[attr-defined]
    limited = verifier._client.inner
    assert isinstance(limited.chat.completions._client, AzureDeployments)
    # One deployment: every extraction asks for its model (domain §4).
    assert verifier._model == "gpt-4.1"
    assert services.extractor.primary._model == "gpt-4.1"  # type: ignore[attr-defined]
    services.close()
