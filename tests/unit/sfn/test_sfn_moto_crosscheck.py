"""A second opinion: the Task-free conformance cases also run on moto's ASL interpreter.

moto 5 can execute state machines (an interpreter derived from LocalStack's) when configured
to; both interpreters must agree on the status and, for successes, the output. Cases where moto
is known to differ carry ``moto_skip`` with the reason in ``sfn_cases.py``. All executions are
started first and polled together, so the whole cross-check takes a few seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sfn_cases import CASES, Case
from test_sfn_conformance import run_case

CROSS_CHECKED = [case for case in CASES if case.moto_skip is None and not case.has_task]
ROLE = "arn:aws:iam::123456789012:role/sfn"


@pytest.fixture(scope="module")
def moto_results() -> Iterator[dict[str, tuple[str, Any]]]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        executions = {}
        for number, case in enumerate(CROSS_CHECKED):
            machine = client.create_state_machine(
                name=f"case-{number}", definition=json.dumps(case.definition), roleArn=ROLE
            )["stateMachineArn"]
            executions[case.id] = client.start_execution(
                stateMachineArn=machine, name="run-1", input=json.dumps(case.input)
            )["executionArn"]
        results: dict[str, tuple[str, Any]] = {}
        deadline = time.monotonic() + 30
        while len(results) < len(executions) and time.monotonic() < deadline:
            for case_id, arn in executions.items():
                if case_id in results:
                    continue
                described = client.describe_execution(executionArn=arn)
                if described["status"] != "RUNNING":
                    succeeded = described["status"] == "SUCCEEDED"
                    output = _output(described["output"]) if succeeded else None
                    results[case_id] = (described["status"], output)
            time.sleep(0.02)
        yield results


def _output(text: str) -> Any:
    # moto returns a string output unquoted ("A" comes back as A), so not always JSON.
    try:
        return json.loads(text)
    except ValueError:
        return text


def test_enough_cases_are_cross_checked() -> None:
    assert len(CROSS_CHECKED) >= 60


@pytest.mark.parametrize("case", CROSS_CHECKED, ids=[case.id for case in CROSS_CHECKED])
def test_moto_agrees(case: Case, moto_results: dict[str, tuple[str, Any]]) -> None:
    status, output, _ = run_case(case)
    assert case.id in moto_results, "moto did not finish the execution in time"
    moto_status, moto_output = moto_results[case.id]
    assert moto_status == status
    if status == "SUCCEEDED":
        assert moto_output == output
