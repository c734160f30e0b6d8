"""How long one attempt at a cell can take, so the matrix step ends before its state's timeout.

The matrix step retries transient cells until its budget (`cell_retry.budget_s`) runs out. An
attempt started just before that moment may still run for as long as one provider call can
take: its own HTTP retries and their backoffs, a BrightData snapshot polled to its deadline.
Without accounting for it, retries in flight at the end of a 1,500 s budget could outlast the
1,800 s TimeoutSeconds of the state (States.Timeout instead of a clean Senso.Transient that
the state machine retries for the failing cells only). So an attempt at a cell is started only
while it can still end inside the budget: the runner stops starting a provider's attempts
`longest_attempt_s` before the deadline, and `senso validate` checks that every routed
provider's longest attempt fits the budget, and that the budget plus a margin for writing the
last cells fits the state's TimeoutSeconds.

Bounded here: a provider's HTTP timeout and retries (`retrying` gives up rather than wait
longer than `max_retry_after_s` for a Retry-After; the matrix's per-cell retry honours the
longer wait), Anthropic's pause_turn continuations, BrightData's poll deadline, the simulator's
latency. Not bounded: waits for a rate-limit slot (a full account queues there).
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.providers.config import ProviderKind, ProvidersConfig, RetryConfig

# Time left after the budget to evaluate and write the cells of the last attempts.
WRITE_MARGIN_S = 60.0


def http_call_s(timeout_s: float, retry: RetryConfig) -> float:
    """One request with its retries: every attempt times out, every wait is the longest."""
    return retry.max_attempts * timeout_s + (retry.max_attempts - 1) * retry.longest_wait_s


def longest_attempt_s(config: ProvidersConfig, kind: ProviderKind | str) -> float:
    """The longest one provider call (one attempt at a chunk of cells) of `kind` can take."""
    if kind == "simulated":
        sim = config.simulated
        # Each prompt of a chunk sleeps up to 1.5x the configured latency.
        return sim.max_batch * 1.5 * sim.latency_ms / 1000
    if kind == "openai":
        return http_call_s(config.openai.timeout_s, config.openai.retry)
    if kind == "azure_openai":
        return http_call_s(config.azure_openai.timeout_s, config.azure_openai.retry)
    if kind == "anthropic":
        anthropic = config.anthropic
        turns = anthropic.max_continuations + 1
        return turns * http_call_s(anthropic.timeout_s, anthropic.retry)
    if kind == "linkup":
        return http_call_s(config.linkup.timeout_s, config.linkup.retry)
    if str(kind).startswith("brightdata"):
        # One deadline bounds trigger, polls and download; the request in flight when it
        # passes may still run its own retries.
        brightdata = config.brightdata
        return brightdata.poll_deadline_s + http_call_s(brightdata.timeout_s, brightdata.retry)
    raise ValueError(f"unknown provider kind {kind!r}")


def routed_kinds(config: ProvidersConfig) -> list[str]:
    """Every provider a model can reach: the routes' and the default provider."""
    kinds = {route.provider for route in config.routes.values()}
    if config.default_provider is not None:
        kinds.add(config.default_provider)
    return sorted(kinds)


def budget_problems(
    config: ProvidersConfig, budget_s: float, state_timeout_s: float | None
) -> list[str]:
    """Why the matrix step could outlast its state, or never try a provider; [] when sound."""
    found: list[str] = []
    if state_timeout_s is not None and budget_s + WRITE_MARGIN_S > state_timeout_s:
        found.append(
            f"cell_retry.budget_s {budget_s:g} s + {WRITE_MARGIN_S:g} s to write the last cells "
            f"exceeds the matrix state's TimeoutSeconds {state_timeout_s:g} s"
        )
    found += _attempt_problems(config, budget_s, routed_kinds(config))
    return found


def _attempt_problems(config: ProvidersConfig, budget_s: float, kinds: Iterable[str]) -> list[str]:
    found = []
    for kind in kinds:
        longest = longest_attempt_s(config, kind)
        if longest > budget_s:
            found.append(
                f"one {kind} attempt can take {longest:g} s (timeouts, retries, backoffs), "
                f"longer than cell_retry.budget_s {budget_s:g} s: no attempt of it could start"
            )
    return found
