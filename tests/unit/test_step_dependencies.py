"""Steps declare what they use besides the database (Step.needs); the one step runner
(handlers.contract.run_step) hands it over or builds it, for the container and the local
runtime alike, and a step gets nothing it did not declare."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import InvalidInputError
from handlers.steps.base import PROVIDERS, StepContext, get_step, load_all

NOWHERE = Database("postgresql://nobody@127.0.0.1:1/none", connect_timeout=1)


def test_only_the_steps_that_call_out_declare_dependencies() -> None:
    declared = {name: step.needs for name, step in load_all().items() if step.needs}
    assert declared["RunQuestionMatrixWithEvaluation"] == PROVIDERS
    assert set(declared) == {"RunQuestionMatrixWithEvaluation", "Dispatch", "RollbackGuard"}
    # Each builder resolves to a function of the environment.
    for needs in declared.values():
        module, function = needs.build.split(":")
        assert callable(getattr(__import__(module, fromlist=[function]), function))


def test_the_typed_accessor_refuses_what_the_step_did_not_declare() -> None:
    ctx = StepContext(db=NOWHERE, deps=date(2025, 1, 1))
    assert ctx.needs(date) == date(2025, 1, 1)
    with pytest.raises(TypeError, match="needs str but was given date"):
        ctx.needs(str)
    with pytest.raises(TypeError, match="given NoneType"):
        StepContext(db=NOWHERE).needs(date)


def test_a_runner_that_hands_nothing_gets_the_step_its_declared_dependencies_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Dispatch builds its clients from the environment; without the state machine's ARN the
    # builder refuses before the step touches the database.
    monkeypatch.delenv("SENSO_STATE_MACHINE_ARN", raising=False)
    with pytest.raises(InvalidInputError, match="SENSO_STATE_MACHINE_ARN is not set"):
        run_step("Dispatch", {"day": "2025-03-04"}, db=NOWHERE)
    assert get_step("GetOrCreateBatch").needs is None
