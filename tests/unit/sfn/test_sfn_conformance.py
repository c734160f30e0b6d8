"""The conformance table run on this interpreter: expected status, output and error name."""

from __future__ import annotations

import pytest
from sfn_cases import CASES, Case, lambda_table

from senso_cli.sfn import Interpreter, validate

ARN = "arn:aws:states:us-east-1:123456789012"


def run_case(case: Case) -> tuple[str, object, str | None]:
    interpreter = Interpreter(case.definition, invoke_task=lambda_table(), time_scale=0)
    result = interpreter.run(
        case.input,
        execution_arn=f"{ARN}:execution:conformance:run-1",
        execution_name="run-1",
        state_machine_arn=f"{ARN}:stateMachine:conformance",
        state_machine_name="conformance",
    )
    return result.status, result.output, result.error


def test_the_table_is_large_enough_and_ids_are_unique() -> None:
    assert len(CASES) >= 70
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    assert validate.problems(case.definition) == []
    status, output, error = run_case(case)
    if case.error is None:
        assert (status, error) == ("SUCCEEDED", None)
        assert output == case.output
    else:
        assert (status, error) == ("FAILED", case.error)
