"""The matrix step's retry budget accounts for the longest single attempt, so retries in flight
when the budget ends cannot outlast the state's timeout (handlers/matrix/budget.py).

- the runner starts no attempt that could not end inside the budget: a provider's attempts stop
  `longest_attempt_s` before the deadline, and the step fails as retryable by then;
- `senso validate` checks the arithmetic: each routed provider's longest attempt fits the budget,
  and the budget plus a write margin fits the matrix state's TimeoutSeconds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import ProviderTransientError, TransientError
from handlers.matrix.budget import budget_problems, longest_attempt_s
from handlers.providers.base import CellPrompt, ProviderFailure
from handlers.providers.config import ProvidersConfig
from handlers.providers.retrying import RetryPolicy, call_with_retries
from senso_cli.app import app
from tests.fakes.clock import FakeClock
from tests.functional.delivery.conftest import checks_by_name
from tests.functional.steps.test_cell_retries import Scripted, services_with

BUDGET_S = 1.0
LONGEST_S = 0.5  # max_batch 1 x 1.5 x latency_ms 333.3 / 1000
CALL_S = 0.1  # what each call really takes: well under its worst case


def test_no_attempt_starts_that_could_outlast_the_budget(
    db: Database, org_id: UUID, tmp_path: Path
) -> None:
    def fault(prompt: CellPrompt, attempt: int, size: int) -> ProviderFailure | None:
        time.sleep(CALL_S)
        return ProviderFailure(cell_key=prompt.cell_key, reason="HTTP 503", transient=True)

    provider = Scripted(fault, max_batch=1)
    providers = {"simulated": {"latency_ms": LONGEST_S / 1.5 * 1000, "max_batch": 1}}
    retry = {"max_attempts": 100, "initial_backoff_s": 0.01, "max_backoff_s": 0.01}
    services = services_with(
        tmp_path,
        provider,
        cell_retry=retry | {"budget_s": BUDGET_S},
        providers=providers,
        matrix_concurrency=12,
    )
    assert services.retry_policy.attempt_limits["simulated"] == pytest.approx(LONGEST_S)
    state: dict[str, Any] = {"org_id": str(org_id)}
    state["batch"] = run_step("GetOrCreateBatch", state, db=db)
    run_step("StartBatchProcessing", state, db=db)
    with pytest.raises(TransientError, match="12 cells still failing transiently"):
        run_step("RunQuestionMatrixWithEvaluation", state, db=db, services=services)
    starts = [when for when, _ in provider.calls]
    first, last = min(starts), max(starts)
    # Every cell was retried, but none was started once its worst case could pass the
    # deadline (without the rule, attempts would start until the budget's last moment).
    assert len(starts) > 12
    assert last - first <= BUDGET_S - LONGEST_S + 0.15, (last - first, len(starts))


def test_the_longest_attempt_of_each_provider_by_its_settings() -> None:
    config = ProvidersConfig.model_validate(
        {
            "openai": {"timeout_s": 100, "retry": {"max_attempts": 3, "max_backoff_s": 10}},
            "brightdata": {"poll_deadline_s": 600, "timeout_s": 30, "retry": {"max_attempts": 2}},
            "anthropic": {"timeout_s": 50, "max_continuations": 1, "retry": {"max_attempts": 1}},
        }
    )
    assert longest_attempt_s(config, "openai") == 3 * 100 + 2 * 60  # Retry-After up to 60 s
    assert longest_attempt_s(config, "brightdata_chatgpt") == 600 + 2 * 30 + 60
    assert longest_attempt_s(config, "anthropic") == 2 * 50
    # The defaults of every provider fit the default budget (1,500 s) and the state's 1,800 s.
    kinds = [
        "openai",
        "azure_openai",
        "anthropic",
        "linkup",
        "brightdata_chatgpt",
        "brightdata_perplexity",
        "brightdata_gemini",
    ]
    routes = {f"model-{kind}": {"provider": kind} for kind in kinds}
    defaults = ProvidersConfig.model_validate({"routes": routes})
    assert budget_problems(defaults, 1500, 1800) == []


def test_budget_problems_name_the_provider_and_the_state_timeout() -> None:
    slow = ProvidersConfig.model_validate(
        {
            "routes": {"chatgpt": {"provider": "brightdata_chatgpt"}},
            "brightdata": {"poll_deadline_s": 1400},
        }
    )
    (problem,) = budget_problems(slow, 1500, 1800)
    assert "brightdata_chatgpt attempt can take 1940 s" in problem
    (late,) = budget_problems(ProvidersConfig(), 1790, 1800)
    assert "exceeds the matrix state's TimeoutSeconds 1800 s" in late


def test_validate_checks_the_matrix_budget(
    runner: CliRunner, senso_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = app
    asl_only = ["validate", "--skip", "terraform", "--skip", "docker", "--skip", "env", "--json"]
    passed = checks_by_name(runner.invoke(cli, asl_only).stdout)["asl.matrix_budget"]
    assert passed["status"] == "pass", passed
    slow = {
        "routes": {"chatgpt": {"provider": "brightdata_chatgpt"}},
        "brightdata": {"poll_deadline_s": 1400},
    }
    monkeypatch.setenv("SENSO_PROVIDERS_JSON", json.dumps(slow))
    result = runner.invoke(cli, asl_only)
    failed = checks_by_name(result.stdout)["asl.matrix_budget"]
    assert result.exit_code == 1
    assert failed["status"] == "fail" and "brightdata_chatgpt" in failed["reason"], failed


def test_a_retry_after_longer_than_the_backoff_goes_back_to_the_step() -> None:
    # One request never waits longer than max_retry_after_s, so its worst case is bounded; the
    # matrix step's per-cell retry then honours the server's longer Retry-After.
    clock = FakeClock()
    calls = 0

    def throttled() -> None:
        nonlocal calls
        calls += 1
        raise ProviderTransientError("HTTP 429", retry_after=120.0)

    policy = RetryPolicy(max_attempts=5, initial_backoff_s=1.0, max_backoff_s=10.0, jitter_s=0)
    with pytest.raises(ProviderTransientError) as raised:
        call_with_retries(throttled, policy, sleep=clock.sleep)
    assert calls == 1 and clock.sleeps == [] and raised.value.retry_after == 120.0

    calls = 0

    def briefly_throttled() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ProviderTransientError("HTTP 429", retry_after=45.0)
        return "ok"

    assert call_with_retries(briefly_throttled, policy, sleep=clock.sleep) == "ok"
    # A Retry-After within max_retry_after_s (60 s) is waited out, past max_backoff_s.
    assert clock.sleeps == [45.0]
