"""A billable provider for tests that exercise charging: a local OpenAI-protocol server.

Simulated answers are free (TrackUsage never charges them), so every test about charges,
ledgers and balances routes the org's models to `tests/fakes/openai_server.py` through the real
provider path (routes, OpenAI Responses client, token pricing, rate limiting), configured the
way an operator would: `SENSO_PROVIDERS_JSON` for the CLI and step processes, the same dict as
the `providers` setting for in-process services.

    def test_x(billable_env: FakeOpenAIServer) -> None:   # CLI / subprocess tests
    services = billable_services(tmp_path, server)         # in-process steps
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from handlers.providers.registry import DEFAULT_GEO_MODELS
from handlers.runtime import WorkflowServices, build_services
from senso_cli.settings import load_settings
from tests.fakes.openai_server import FakeOpenAIServer

# Every geo model a test org or the demo org uses, answered as gpt-4.1 (a priced model).
BILLABLE_MODELS: tuple[str, ...] = DEFAULT_GEO_MODELS
UPSTREAM_MODEL = "gpt-4.1"


def billable_providers(server: FakeOpenAIServer, **openai: Any) -> dict[str, Any]:
    """The providers setting that sends every known geo model to `server`, nothing simulated."""
    return {
        "default_provider": None,
        "routes": {
            name: {"provider": "openai", "upstream_model": UPSTREAM_MODEL}
            for name in BILLABLE_MODELS
        },
        "openai": {
            "api_key": server.api_key,
            "base_url": server.base_url,
            "timeout_s": 10,
            "rate_limit": {"rpm": 100_000, "tpm": 100_000_000, "max_concurrency": 8},
            "retry": {
                "max_attempts": 4,
                "initial_backoff_s": 0.01,
                "max_backoff_s": 0.05,
                "jitter_s": 0.0,
            },
        }
        | openai,
    }


def billable_environ(server: FakeOpenAIServer) -> dict[str, str]:
    """Environment variables that point a CLI or `python -m handlers` process at `server`."""
    return {
        "SENSO_PROVIDERS_JSON": json.dumps(billable_providers(server)),
        # The fake answers prose, not the evaluator's JSON: evaluate without an LLM.
        "SENSO_EVALUATOR": "deterministic",
    }


def billable_services(
    home: Path, server: FakeOpenAIServer, *, flags: dict[str, Any] | None = None
) -> WorkflowServices:
    """In-process workflow services whose every model is answered by `server`."""
    settings = load_settings(
        flags={"providers": billable_providers(server), "evaluator": "deterministic"}
        | (flags or {}),
        environ={"SENSO_HOME": str(home)},
    )
    return build_services(settings.settings)
