"""What every step shares: its context, the registry that dispatches by name, and the models
that travel between steps in the state machine's JSON (ids and small summaries only: Step
Functions passes at most 256 KB and ECS overrides far less, so answer texts never travel).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
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


DepsT = TypeVar("DepsT")


@dataclass(frozen=True)
class Needs:
    """What a step uses besides the database, declared when it registers, and how a runner
    that was not handed one builds it: `build` names a function ("module:function") taking the
    process environment. Imported only then, so steps that need nothing load no SDK."""

    what: str  # "providers", "dispatcher", "rollback guard": for messages
    build: str

    def create(self, environ: Mapping[str, str]) -> object:
        module, function = self.build.split(":")
        built: object = getattr(importlib.import_module(module), function)(environ)
        return built


PROVIDERS = Needs("providers", "handlers.runtime:services_from_environment")
"""The answer providers and the evaluator (handlers.runtime.WorkflowServices)."""


@dataclass
class StepContext:
    """What a step may use. Built by the one step runner (handlers.contract.run_step), for the
    container entry point and the local runtime alike."""

    db: Database
    execution_id: str | None = None
    heartbeat: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # The dependencies the step declared (`Step.needs`); None for a step that declared none.
    deps: object | None = None

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def needs(self, kind: type[DepsT]) -> DepsT:
        """The step's declared dependencies, typed; a step that did not declare them (or a
        runner that handed the wrong kind) fails here, naming both."""
        if not isinstance(self.deps, kind):
            raise TypeError(
                f"this step needs {kind.__name__} but was given {type(self.deps).__name__}: "
                "declare it with Step(needs=...) and let the runner build it"
            )
        return self.deps


InputT = TypeVar("InputT", bound=StepModel)
OutputT = TypeVar("OutputT", bound=BaseModel)


@dataclass(frozen=True)
class Step(Generic[InputT, OutputT]):
    name: str
    input_model: type[InputT]
    run: Callable[[StepContext, InputT], OutputT]
    # What the step uses besides the database; the runner builds it (or takes the one it was
    # handed) and no runner checks step names.
    needs: Needs | None = None

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
