"""The documented-behaviour cases (``sfn_cases_aws``, ``sfn_cases_jsonata``): output or error
name and, where given, the exact cause the service writes."""

from __future__ import annotations

import pytest
from sfn_cases import lambda_table
from sfn_cases_aws import CONTEXT, INTRINSICS, PATHS, VARIABLES, WAITS, Case
from sfn_cases_jsonata import EXPRESSIONS, STATES

from senso_cli.sfn import ExecutionResult, Interpreter, validate

ARN = "arn:aws:states:us-east-1:123456789012"
CASES = [*INTRINSICS, *CONTEXT, *PATHS, *WAITS, *VARIABLES, *EXPRESSIONS, *STATES]


def run(definition: dict[str, object], data: object) -> ExecutionResult:
    interpreter = Interpreter(definition, invoke_task=lambda_table(), time_scale=0)
    return interpreter.run(
        data,
        execution_arn=f"{ARN}:execution:conformance:run-1",
        execution_name="run-1",
        state_machine_arn=f"{ARN}:stateMachine:conformance",
        state_machine_name="conformance",
    )


def test_there_are_at_least_150_cases_with_unique_ids() -> None:
    assert len(CASES) >= 150
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    assert validate.problems(case.definition) == []
    result = run(case.definition, case.input)
    if case.error is None:
        assert (result.status, result.error, result.cause) == ("SUCCEEDED", None, None)
        assert result.output == case.output
        return
    assert (result.status, result.error) == ("FAILED", case.error), result.cause
    if case.cause is not None:
        assert result.cause == case.cause
    if case.cause_contains is not None:
        assert case.cause_contains in (result.cause or "")


@pytest.mark.parametrize(
    ("kind", "extra", "has_retry_count"),
    [
        ("Pass", {}, False),
        ("Wait", {"Seconds": 0}, False),
        ("Task", {"Resource": "arn:aws:lambda:us-east-1:123456789012:function:echo"}, True),
    ],
)
def test_retry_count_only_where_a_state_can_retry(
    kind: str, extra: dict[str, object], has_retry_count: bool
) -> None:
    field = "Parameters" if kind != "Wait" else None
    state: dict[str, object] = {"Type": kind, "End": True, **extra}
    if field:
        state[field] = {"s.$": "$$.State"}
    else:
        state["OutputPath"] = "$$.State"
    result = run({"StartAt": "X", "States": {"X": state}}, {})
    context_state = result.output["s"] if field else result.output
    assert context_state["Name"] == "X"
    assert set(context_state) == (
        {"Name", "EnteredTime", "RetryCount"} if has_retry_count else {"Name", "EnteredTime"}
    )
