"""What every step shares: its context, the registry that dispatches by name, and the models
that travel between steps in the state machine's JSON (ids and small summaries only: Step
Functions passes at most 256 KB and ECS overrides far less, so answer texts never travel).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError


class StepModel(BaseModel):
    """Step inputs ignore the keys other steps added to the state; outputs are strict."""

    model_config = ConfigDict(extra="ignore")


class BatchRef(StepModel):
    """GetOrCreateBatch's output, carried in the state as `$.batch`."""

    batch_id: UUID
    org_id: UUID
    org_name: str
    batch_day: date
    status: Literal["pending", "running", "completed", "failed"]
    is_existing: bool
    matrix_size: int
    # A shadow batch writes senso's shadow tables: no product row, no credit (Tables.shadow).
    shadow: bool = False


class WorkflowInput(StepModel):
    """The execution input: which org, who asked, and (for tests and backfills) which day."""

    # Bounded: the execution input travels in every task's overrides (8,192 characters at most,
    # `senso validate` checks the worst case).
    org_id: UUID
    triggered_by: str = Field(default="manual", max_length=64)
    user_id: str | None = Field(default=None, max_length=128)
    batch_day: date | None = None
    # Run as a shadow of the old system: every write goes to senso's shadow tables.
    shadow: bool = False
    # New for every trigger (see handlers.executions.workflow_input); the steps ignore it.
    trigger_id: str | None = Field(default=None, max_length=64)


class BatchStepInput(WorkflowInput):
    """A step of one batch. The state machine passes only `batch_id` (SENSO_BATCH_ID); the
    inline runner and tests may pass the whole state, whose `$.batch` names it too."""

    batch_id: UUID
    batch: BatchRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _batch_id_from_state(cls, data: Any) -> Any:
        if isinstance(data, dict) and "batch_id" not in data:
            batch = data.get("batch")
            if isinstance(batch, dict) and "batch_id" in batch:
                return {**data, "batch_id": batch["batch_id"]}
            if isinstance(batch, BatchRef):
                return {**data, "batch_id": batch.batch_id}
        return data

    def tables(self, ctx: StepContext) -> Tables:
        """The tables this batch writes: the product's, or senso's shadow copies (the execution
        input's `shadow` travels to every task)."""
        return ctx.db.tables.for_batch(self.shadow)


@dataclass
class StepContext:
    """What a step may use. Built by the container entry point or the local runtime."""

    db: Database
    execution_id: str | None = None
    heartbeat: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Built lazily by handlers.runtime so steps that need no provider never configure one.
    services: Any = None

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()


InputT = TypeVar("InputT", bound=StepModel)
OutputT = TypeVar("OutputT", bound=BaseModel)


@dataclass(frozen=True)
class Step(Generic[InputT, OutputT]):
    name: str
    input_model: type[InputT]
    run: Callable[[StepContext, InputT], OutputT]
    # Declared dependency: the step calls providers and the evaluator, so whoever runs it (the
    # container entry or the local runtime) builds `ctx.services` for it; no runner checks names.
    needs_providers: bool = False

    def invoke(self, ctx: StepContext, payload: dict[str, Any]) -> dict[str, Any]:
        """Validate the payload at the edge, run, and return the output as JSON data."""
        from pydantic import ValidationError

        try:
            parsed = self.input_model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "input"
            raise InvalidInputError(
                f"{self.name}: invalid input at {where}: {first['msg']}",
                hint="the step input is the state machine's JSON state; see docs/architecture.md",
            ) from exc
        return self.run(ctx, parsed).model_dump(mode="json")


REGISTRY: dict[str, Step[Any, Any]] = {}


def register(step: Step[Any, Any]) -> Step[Any, Any]:
    if step.name in REGISTRY:
        raise RuntimeError(f"step {step.name} registered twice")
    REGISTRY[step.name] = step
    return step


def get_step(name: str) -> Step[Any, Any]:
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidInputError(f"unknown step {name!r}", hint=f"known steps: {known}") from None


def load_all() -> dict[str, Step[Any, Any]]:
    """Import every step module so each registers itself."""
    from handlers.steps import (  # noqa: F401 - imported for registration
        check_balance,
        complete_batch,
        dispatch,
        finalize_execution,
        get_or_create_batch,
        mark_batch_failed,
        rollback_guard,
        run_question_matrix,
        start_batch_processing,
        track_usage,
    )

    return REGISTRY
