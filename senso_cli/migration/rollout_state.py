"""Where the rollout percentage lives, with who changed it, when and why.

Two stores sit behind one protocol:

* `PostgresRolloutStore`, for local rehearsals: the append-only table `rollout_changes`
  (migration 0003). The current state is the latest row; a transaction-scoped advisory lock
  serialises writers, so two operators at once both land and each row names the percentage it
  replaced.
* `SsmRolloutStore`, for AWS environments: one String parameter holding the state as JSON; its
  parameter history is the audit trail. SSM has no compare-and-swap, so the store checks the
  current value immediately before writing; a race in that small window still keeps both
  writes in the history.

Until the first change is recorded a store reports its *initial* percentage, not a change:
0% for an AWS environment (the value Terraform creates, `{"percent":0}`, or no parameter at all:
every org on Inngest, as the dispatcher reads it), and the configured `rollout.local_percent`
for the local database. `RolloutState.recorded` says which of the two the current percentage is;
status, dry run, router and rollback all read that one state.

`record` is idempotent (asking for the recorded percentage again writes nothing; the initial
percentage is not recorded, so asking for it writes the first change) and refuses with
`RolloutConflictError` when the percentage is no longer the one the caller decided against, so
callers re-check their gate instead of acting on a stale stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError

from handlers.db.database import Database
from handlers.errors import InvalidInputError, TransientError
from senso_cli.aws.errors import AwsInvalidRequestError, AwsNotFoundError
from senso_cli.aws.ssm import Parameters

# Changing the salt reshuffles every org between the two sides, so it is fixed at first write.
DEFAULT_SALT = "senso-org-evaluation"
# An arbitrary constant that identifies the rollout writers' advisory lock.
ROLLOUT_LOCK_KEY = 0x5E4502
_DESCRIPTION_LIMIT = 1024

ChangeKind = Literal["rollout", "rollback"]


class RolloutConflictError(TransientError):
    """The rollout changed between reading it and writing the new percentage."""


class ChangeRequest(BaseModel):
    """What a caller asks a store to record."""

    kind: ChangeKind = "rollout"
    percent: float = Field(ge=0, le=100)
    updated_by: str = Field(min_length=1)
    reason: str | None = None
    forced: bool = False


class RolloutChange(BaseModel):
    """One recorded change of the Step Functions percentage."""

    kind: ChangeKind = "rollout"
    percent: float = Field(ge=0, le=100)
    previous_percent: float = Field(ge=0, le=100)
    salt: str
    updated_by: str
    updated_at: datetime
    reason: str | None = None
    forced: bool = False
    # The row id (PostgreSQL) or parameter version (SSM) that holds this change.
    version: int | None = None


class RolloutState(BaseModel):
    """The current stage: the share of orgs on Step Functions and its history, oldest first.

    `recorded` is False while the percentage is the store's initial one (no change recorded
    yet, or only the value Terraform created); then `updated_*` and `reason` are None.
    """

    percent: float = Field(default=0.0, ge=0, le=100)
    salt: str = DEFAULT_SALT
    updated_by: str | None = None
    updated_at: datetime | None = None
    reason: str | None = None
    history: list[RolloutChange] = Field(default_factory=list)
    recorded: bool = False
    # Where the percentage comes from while nothing is recorded, for operator output.
    initial_note: str = "no rollout recorded yet"

    @classmethod
    def from_history(
        cls,
        history: list[RolloutChange],
        *,
        initial_percent: float = 0.0,
        initial_note: str = "no rollout recorded yet",
    ) -> RolloutState:
        if not history:
            return cls(percent=initial_percent, initial_note=initial_note)
        last = history[-1]
        return cls(
            percent=last.percent,
            salt=last.salt,
            updated_by=last.updated_by,
            updated_at=last.updated_at,
            reason=last.reason,
            history=history,
            recorded=True,
        )

    @property
    def stage_started_at(self) -> datetime | None:
        """When the current stage began: the last recorded change (None: nothing recorded)."""
        return self.updated_at if self.recorded else None


class RolloutStore(Protocol):
    """Where the rollout state is kept; `where` says so in operator output."""

    @property
    def where(self) -> str: ...

    def load(self) -> RolloutState: ...

    def record(self, request: ChangeRequest, *, expected_percent: float) -> RolloutChange | None:
        """Append the change; None when the percentage already is `request.percent`."""
        ...


def _conflict(expected: float, found: float) -> RolloutConflictError:
    return RolloutConflictError(
        f"the rollout moved to {found:g}% while this change was being made "
        f"(expected {expected:g}%)",
        hint="run `senso rollout status` and try again",
    )


def _change_from_row(row: dict[str, Any]) -> RolloutChange:
    return RolloutChange(
        kind=row["kind"],
        percent=float(row["percent"]),
        previous_percent=float(row["previous_percent"]),
        salt=row["salt"],
        updated_by=row["updated_by"],
        updated_at=row["created_at"],
        reason=row["reason"],
        forced=row["forced"],
        version=row["change_id"],
    )


class PostgresRolloutStore:
    """Rollout state in the local database (table rollout_changes)."""

    where = "PostgreSQL (local)"

    def __init__(self, db: Database, *, initial_percent: float = 0.0) -> None:
        self._db = db
        # The percentage before any change is recorded (settings: rollout.local_percent).
        self._initial = initial_percent

    def load(self) -> RolloutState:
        with self._db.connect(autocommit=True) as conn:
            rows = conn.execute(
                "SELECT change_id, kind, percent, previous_percent, salt, updated_by, reason, "
                "forced, created_at FROM senso.rollout_changes ORDER BY change_id"
            ).fetchall()
        history = [_change_from_row(row) for row in rows]
        return RolloutState.from_history(
            history,
            initial_percent=self._initial,
            initial_note="no rollout recorded yet; local default rollout.local_percent",
        )

    def record(self, request: ChangeRequest, *, expected_percent: float) -> RolloutChange | None:
        with self._db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ROLLOUT_LOCK_KEY,))
            latest = conn.execute(
                "SELECT percent, salt FROM senso.rollout_changes ORDER BY change_id DESC LIMIT 1"
            ).fetchone()
            current = float(latest["percent"]) if latest else self._initial
            salt = latest["salt"] if latest else DEFAULT_SALT
            if latest is not None and current == request.percent:
                return None
            if current != expected_percent:
                raise _conflict(expected_percent, current)
            row = conn.execute(
                "INSERT INTO senso.rollout_changes "
                "(kind, percent, previous_percent, salt, updated_by, reason, forced) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING change_id, kind, percent, "
                "previous_percent, salt, updated_by, reason, forced, created_at",
                (
                    request.kind,
                    Decimal(str(request.percent)),
                    Decimal(str(current)),
                    salt,
                    request.updated_by,
                    request.reason,
                    request.forced,
                ),
            ).fetchone()
        assert row is not None
        return _change_from_row(row)


class InitialValue(BaseModel):
    """A parameter value that is not a recorded change: what Terraform creates
    (`rollout_initial_value`, `{"percent":0}`), a percentage and optionally a salt."""

    percent: float = Field(ge=0, le=100)
    salt: str = DEFAULT_SALT


class SsmRolloutStore:
    """Rollout state in one SSM parameter (JSON); the parameter history is the audit trail."""

    def __init__(
        self, parameters: Parameters, name: str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._parameters = parameters
        self._name = name
        self._now = clock or (lambda: datetime.now(UTC))

    @property
    def where(self) -> str:
        return f"SSM parameter {self._name}"

    def _parse(self, value: str, version: int) -> RolloutChange | InitialValue:
        try:
            data = json.loads(value)
            if isinstance(data, dict) and "updated_by" not in data:
                return InitialValue.model_validate(data)
            return RolloutChange.model_validate({**data, "version": version})
        except (ValueError, ValidationError) as exc:
            raise InvalidInputError(
                f"SSM parameter {self._name} (version {version}) is not a rollout state",
                hint="restore a valid version from the parameter history in the AWS console",
            ) from exc

    def load(self) -> RolloutState:
        try:
            versions = self._parameters.history(self._name)
        except AwsNotFoundError:
            # No parameter yet: nothing moved, every org stays on Inngest.
            return RolloutState(initial_note=f"no rollout recorded yet; {self._name} not found")
        parsed = [self._parse(v.value, v.version) for v in versions]
        history = [entry for entry in parsed if isinstance(entry, RolloutChange)]
        latest = parsed[-1] if parsed else None
        if isinstance(latest, InitialValue):
            # Terraform's value, or one written over the recorded history by hand: routing
            # follows it, but it records no change.
            return RolloutState(
                percent=latest.percent,
                salt=latest.salt,
                history=history,
                initial_note=f"no rollout recorded yet; initial value of {self._name}",
            )
        return RolloutState.from_history(history)

    def record(self, request: ChangeRequest, *, expected_percent: float) -> RolloutChange | None:
        existing = self._parameters.find(self._name)
        current = self._parse(existing.value, existing.version) if existing else None
        current_percent = current.percent if current else 0.0
        if isinstance(current, RolloutChange) and current_percent == request.percent:
            return None
        if current_percent != expected_percent:
            raise _conflict(expected_percent, current_percent)
        change = RolloutChange(
            kind=request.kind,
            percent=request.percent,
            previous_percent=current_percent,
            salt=current.salt if current else DEFAULT_SALT,
            updated_by=request.updated_by,
            updated_at=self._now(),
            reason=request.reason,
            forced=request.forced,
        )
        body = change.model_dump(mode="json", exclude={"version"})
        description = f"{request.kind} to {request.percent:g}% by {request.updated_by}"
        if request.reason:
            description += f": {request.reason}"
        try:
            version = self._parameters.put(
                self._name,
                json.dumps(body, sort_keys=True),
                # The first write is create-only, so two first rollouts cannot both succeed.
                overwrite=existing is not None,
                description=description[:_DESCRIPTION_LIMIT],
            )
        except AwsInvalidRequestError as exc:
            if existing is None:
                raise RolloutConflictError(
                    "another operator created the rollout state at the same time",
                    hint="run `senso rollout status` and try again",
                ) from exc
            raise
        return change.model_copy(update={"version": version})
