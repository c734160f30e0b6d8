"""Per-org routing between Step Functions and Inngest during the migration.

Each org gets a stable bucket in [0, 1) from SHA-256 of `salt:org_id` (the first 8 bytes read
as an integer, divided by 2**64), the scheme feature-flag services use for percentage
rollouts. An org runs on Step Functions when its bucket is below the rollout fraction, so
raising the percentage only ever moves orgs from Inngest to Step Functions and lowering it
only moves them back: no org flips back and forth between two increases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

from handlers.routing import bucket as shared_bucket
from handlers.routing import target_for as shared_target_for

Target = Literal["sfn", "inngest"]
TARGETS: tuple[Target, ...] = ("sfn", "inngest")
# The orchestrator name question_run_batches records for each target.
ORCHESTRATOR: dict[Target, str] = {"sfn": "step_functions", "inngest": "inngest"}


class RoutingState(Protocol):
    """What routing needs from the rollout state (RolloutState satisfies it)."""

    @property
    def percent(self) -> float: ...

    @property
    def salt(self) -> str: ...


def bucket(org_id: str | UUID, salt: str) -> float:
    """The org's stable position in [0, 1); the one rule the dispatcher uses too."""
    return shared_bucket(org_id, salt)


def target_for(org_id: str | UUID, percent: float, salt: str) -> Target:
    return shared_target_for(org_id, percent, salt)


def route(org_id: str | UUID, state: RoutingState, *, override: Target | None = None) -> Target:
    """Where this org's evaluation runs: `override` (for one call) wins over the rollout."""
    if override is not None:
        return override
    return target_for(org_id, state.percent, state.salt)


@dataclass(frozen=True)
class Split:
    sfn: list[str]
    inngest: list[str]

    @property
    def sfn_share(self) -> float:
        total = len(self.sfn) + len(self.inngest)
        return len(self.sfn) / total if total else 0.0


def split(org_ids: Iterable[str | UUID], percent: float, salt: str) -> Split:
    """The orgs each side gets at `percent`."""
    on_sfn: list[str] = []
    on_inngest: list[str] = []
    for org_id in org_ids:
        (on_sfn if target_for(org_id, percent, salt) == "sfn" else on_inngest).append(str(org_id))
    return Split(on_sfn, on_inngest)


def moved(
    org_ids: Iterable[str | UUID], salt: str, from_percent: float, to_percent: float
) -> list[str]:
    """The orgs whose target changes when the percentage goes from one value to the other."""
    low, high = sorted((from_percent / 100.0, to_percent / 100.0))
    return [str(org_id) for org_id in org_ids if low <= bucket(org_id, salt) < high]
