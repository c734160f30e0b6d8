"""Where one org's evaluation runs right now: an override for one call, else the rollout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from handlers.errors import InvalidInputError
from senso_cli.migration.rollout_state import RolloutStore
from senso_cli.migration.router import Target, bucket, route

TargetChoice = Literal["sfn", "inngest"]


@dataclass(frozen=True)
class Decision:
    target: Target
    reason: str


def parse_target(value: str | None) -> Target | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in ("sfn", "inngest"):
        raise InvalidInputError(
            f"--target must be sfn or inngest, not {value!r}",
            hint="sfn = Step Functions, inngest = the legacy side (or its local stand-in)",
        )
    return cast(Target, lowered)


def decide(store: RolloutStore | None, org_id: str, override: Target | None) -> Decision:
    """`store` None means the environment has no rollout state: everything on Step Functions."""
    if override is not None:
        return Decision(override, f"--target {override} (this call only)")
    if store is None:
        return Decision("sfn", "no rollout parameter configured: Step Functions")
    # One state, whether recorded or still the store's initial percentage (0% on AWS, the
    # configured rollout.local_percent locally): `rollout status` shows the same.
    state = store.load()
    target = route(org_id, state)
    position = bucket(org_id, state.salt)
    relation = "<" if target == "sfn" else ">="
    where = "" if state.recorded else f" ({state.initial_note})"
    return Decision(
        target,
        f"rollout {state.percent:g}%{where}: bucket {position:.3f} {relation} "
        f"{state.percent / 100:.3f}",
    )
