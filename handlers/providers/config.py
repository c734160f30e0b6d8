"""Settings of the answer providers, as one pydantic model the project settings embed.

Nothing here reads the environment: the project's settings model fills `ProvidersConfig` (flag,
`SENSO_*` environment, config file, default) and hands it to `build_registry`. Secrets are
`SecretStr` so they never show up in a repr or a log line. Offline, the defaults route every
geo model to the simulated provider and need no key at all.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

ProviderKind = Literal[
    "simulated",
    "openai",
    "azure_openai",
    "brightdata_chatgpt",
    "brightdata_perplexity",
    "brightdata_gemini",
    "anthropic",
    "linkup",
]

BRIGHTDATA_MAX_CHUNK = 20
"""BrightData rejects triggers with more inputs than this; the old system enforced it too."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelRoute(_Strict):
    """Where one geo model name (as orgs configure it) is answered.

    `upstream_model` is the model id sent to OpenAI, or the model an Azure deployment runs (it is
    what the answer is priced as); it defaults to the geo model name. `azure_deployment`
    overrides `AzureOpenAIConfig.deployments` for this model.
    """

    provider: ProviderKind
    upstream_model: str | None = None
    azure_deployment: str | None = None


class RateLimitConfig(_Strict):
    """Client-side pacing of one provider, shared by every worker thread that calls it."""

    rpm: int | None = Field(default=None, gt=0, description="requests per minute")
    tpm: int | None = Field(default=None, gt=0, description="tokens per minute")
    max_concurrency: int = Field(default=8, gt=0, description="calls in flight at once")


class RetryConfig(_Strict):
    """Retries of one HTTP request on throttling, 5xx, timeouts and connection errors."""

    max_attempts: int = Field(default=5, ge=1)
    initial_backoff_s: float = Field(default=1.0, ge=0)
    max_backoff_s: float = Field(default=60.0, ge=0)
    jitter_s: float = Field(default=1.0, ge=0)
    # A longer Retry-After goes back to the matrix step, which honours it per cell: one
    # request's worst case stays bounded (handlers.matrix.budget).
    max_retry_after_s: float = Field(default=60.0, ge=0)

    @property
    def longest_wait_s(self) -> float:
        """The longest one wait between two attempts of a request can be."""
        return max(self.max_backoff_s, self.max_retry_after_s)


class SimulatedConfig(_Strict):
    """The offline provider: free, deterministic, clearly labelled."""

    latency_ms: float = Field(default=0.0, ge=0, description="typical latency to simulate")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of failed attempts")
    max_batch: int = Field(default=20, ge=1)


class OpenAIConfig(_Strict):
    """api.openai.com (or a compatible endpoint) through the Responses API with web search."""

    api_key: SecretStr | None = None
    base_url: str = "https://api.openai.com/v1"
    web_search_tool: Literal["web_search", "web_search_preview"] = "web_search"
    timeout_s: float = Field(default=120.0, gt=0)
    expected_output_tokens: int = Field(default=1500, ge=0)
    rate_limit: RateLimitConfig = RateLimitConfig(rpm=500, tpm=200_000)
    retry: RetryConfig = RetryConfig()


class AzureOpenAIConfig(_Strict):
    """Azure OpenAI's v1 endpoint (`{endpoint}/openai/v1/responses`, `api-key` header).

    `deployments` maps a geo model name to the deployment that serves it. A model without a
    deployment is an error: the old system sent every gpt-style model to one deployment.
    """

    endpoint: str | None = None
    api_key: SecretStr | None = None
    api_version: str | None = Field(
        default=None, description="sent as ?api-version= when set; the v1 API needs none"
    )
    deployments: dict[str, str] = Field(default_factory=dict)
    # Azure has served the preview tool name longest; the old system used it there.
    web_search_tool: Literal["web_search", "web_search_preview"] = "web_search_preview"
    timeout_s: float = Field(default=120.0, gt=0)
    expected_output_tokens: int = Field(default=1500, ge=0)
    rate_limit: RateLimitConfig = RateLimitConfig(rpm=300, tpm=150_000)
    retry: RetryConfig = RetryConfig()


class BrightDataConfig(_Strict):
    """BrightData's datasets v3 scrapers for ChatGPT, Perplexity and Gemini."""

    api_key: SecretStr | None = None
    base_url: str = "https://api.brightdata.com/datasets/v3"
    chatgpt_dataset_id: str | None = None
    perplexity_dataset_id: str | None = None
    gemini_dataset_id: str | None = None
    # The old system went from 20 to 1 for ChatGPT in its last change; we keep its measured
    # choice as the default, since index matching here no longer fails a whole chunk.
    chatgpt_chunk_size: int = Field(default=1, ge=1, le=BRIGHTDATA_MAX_CHUNK)
    perplexity_chunk_size: int = Field(default=20, ge=1, le=BRIGHTDATA_MAX_CHUNK)
    gemini_chunk_size: int = Field(default=20, ge=1, le=BRIGHTDATA_MAX_CHUNK)
    timeout_s: float = Field(default=60.0, gt=0, description="per HTTP request")
    poll_interval_s: float = Field(default=10.0, gt=0)
    poll_deadline_s: float = Field(
        default=900.0, gt=0, description="from trigger to a ready snapshot, then give up"
    )
    snapshot_retry_interval_s: float = Field(default=10.0, ge=0)
    snapshot_max_attempts: int = Field(default=20, ge=1)
    rate_limit: RateLimitConfig = RateLimitConfig(rpm=60, max_concurrency=4)
    retry: RetryConfig = RetryConfig()


class AnthropicConfig(_Strict):
    """Anthropic's Messages API through the official SDK, with the server-side web search tool.

    The old system sent Claude no web search at all; here the tool is sent to every model whose
    id starts with one of `web_search_models` (the models Anthropic documents it for). Other
    models answer without it, and their answers say so (`ProviderAnswer.web_search` False).
    """

    api_key: SecretStr | None = None
    base_url: str = "https://api.anthropic.com"
    max_tokens: int = Field(default=2000, ge=1)
    # The old system sent 0.7. The current SDK no longer has the parameter (newer models fix
    # their own sampling), so it is sent as an extra body field only when set here.
    temperature: float | None = Field(default=None, ge=0, le=1)
    web_search: bool = True
    web_search_max_uses: int = Field(default=5, ge=1)
    web_search_models: tuple[str, ...] = (
        "claude-opus-4",
        "claude-sonnet-4",
        "claude-haiku-4",
        "claude-3-7-sonnet",
        "claude-3-5-haiku",
    )
    max_continuations: int = Field(
        default=2, ge=0, description="pause_turn resumptions of a long server-tool turn"
    )
    timeout_s: float = Field(default=120.0, gt=0)
    expected_output_tokens: int = Field(default=1500, ge=0)
    # Anthropic's first usage tier; raise them to the account's tier.
    rate_limit: RateLimitConfig = RateLimitConfig(rpm=50, tpm=30_000, max_concurrency=8)
    # Every turn of a call may run its own retries, so one call's worst case is turns x
    # retries: 3 turns x (3 x 120 s + 2 x 60 s) = 1,440 s fits the matrix step's 1,500 s
    # budget (handlers.matrix.budget); 5 attempts and 3 continuations (3,360 s) made
    # `senso validate` refuse every setup that routes a model to Anthropic.
    retry: RetryConfig = RetryConfig(max_attempts=3)


class LinkupConfig(_Strict):
    """Linkup's search API (`POST {base_url}/search`) asked for a sourced answer."""

    api_key: SecretStr | None = None
    base_url: str = "https://api.linkup.so/v1"
    depth: Literal["standard", "deep"] = "standard"
    timeout_s: float = Field(default=60.0, gt=0)
    # Linkup counts requests per second and concurrent requests, not tokens.
    rate_limit: RateLimitConfig = RateLimitConfig(rpm=600, max_concurrency=10)
    retry: RetryConfig = RetryConfig()


class ProvidersConfig(_Strict):
    """Every provider's settings plus the explicit model-name routes.

    A geo model name is looked up in `routes` (case-insensitively, after trimming); a name that is
    not there goes to `default_provider`, or is an `UnknownModelError` when that is None.
    Production sets explicit routes and `default_provider=None`; offline, everything is simulated.
    """

    routes: dict[str, ModelRoute] = Field(default_factory=dict)
    default_provider: Literal["simulated"] | None = "simulated"
    shared_limits: bool = Field(
        default=True,
        description="keep each account's RPM/TPM window in senso's database, shared by every "
        "task and execution (else each process paces itself alone)",
    )

    @field_validator("default_provider", mode="before")
    @classmethod
    def _none_spelled_out(cls, value: object) -> object:
        # TOML has no null: `default_provider = "none"` is how a config file turns it off.
        if isinstance(value, str) and value.strip().lower() in ("", "none", "off"):
            return None
        return value

    simulated: SimulatedConfig = SimulatedConfig()
    openai: OpenAIConfig = OpenAIConfig()
    azure_openai: AzureOpenAIConfig = AzureOpenAIConfig()
    brightdata: BrightDataConfig = BrightDataConfig()
    anthropic: AnthropicConfig = AnthropicConfig()
    linkup: LinkupConfig = LinkupConfig()

    @model_validator(mode="after")
    def _route_names_are_unique(self) -> ProvidersConfig:
        seen: dict[str, str] = {}
        for name in self.routes:
            key = normalise_model_name(name)
            if not key:
                raise ValueError("a route has an empty model name")
            if key in seen:
                raise ValueError(f"routes {seen[key]!r} and {name!r} name the same model")
            seen[key] = name
        return self


def normalise_model_name(name: str) -> str:
    """The lookup key of a geo model name: exact text, trimmed and case-folded (no substrings)."""
    return name.strip().casefold()
