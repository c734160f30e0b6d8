"""Which orchestrator evaluates an org during the migration: Step Functions or Inngest.

The rule is shared by the dispatcher (in the container, which must not import senso_cli) and
the operator CLI's rollout commands: an org's bucket is SHA-256(salt + ":" + org_id), its first
8 bytes read big-endian and divided by 2**64, so a number in [0, 1) that never changes for the
org. The org runs on Step Functions when its bucket is below percent / 100; raising the
percentage only ever moves orgs from Inngest to Step Functions.

A router is any callable `route(org_id) -> "sfn" | "inngest"`, so callers inject their own (a
fixed answer in tests, the rollout parameter in the container, an override table in the CLI).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal, Protocol
from uuid import UUID

from handlers.errors import InvalidInputError

Target = Literal["sfn", "inngest"]
# Changing the salt reshuffles every org between the two sides; the rollout state fixes it.
DEFAULT_SALT = "senso-org-evaluation"
_SCALE = float(2**64)


class Router(Protocol):
    def __call__(self, org_id: str) -> Target: ...


def bucket(org_id: str | UUID, salt: str = DEFAULT_SALT) -> float:
    """The org's stable position in [0, 1)."""
    digest = hashlib.sha256(f"{salt}:{org_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def target_for(org_id: str | UUID, percent: float, salt: str = DEFAULT_SALT) -> Target:
    return "sfn" if bucket(org_id, salt) < percent / 100.0 else "inngest"


def all_to_step_functions(org_id: str) -> Target:
    """The router until a rollout exists: every org runs on Step Functions."""
    return "sfn"


@dataclass(frozen=True)
class PercentRouter:
    """Routes by the rollout percentage and salt (the rollout parameter's JSON)."""

    percent: float
    salt: str = DEFAULT_SALT

    def __call__(self, org_id: str) -> Target:
        return target_for(org_id, self.percent, self.salt)

    @classmethod
    def from_rollout_json(cls, text: str, *, source: str = "rollout state") -> PercentRouter:
        """Read `{"percent": 25, "salt": "..."}`; other keys (history, who, why) are ignored."""
        try:
            data = json.loads(text)
            percent = float(data.get("percent", 0.0))
            salt = str(data.get("salt") or DEFAULT_SALT)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidInputError(
                f"{source} is not a rollout state (JSON with a percent)",
                hint="restore it with `senso rollout set`",
            ) from exc
        if not 0.0 <= percent <= 100.0:
            raise InvalidInputError(f"{source}: percent {percent} is not between 0 and 100")
        return cls(percent=percent, salt=salt)
