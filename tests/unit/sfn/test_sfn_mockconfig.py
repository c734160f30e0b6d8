"""Step Functions Local mocks, the ECS container contract and the unsupported-resource invoker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from senso_cli.sfn import (
    Interpreter,
    MockConfig,
    MockConfigError,
    StatesError,
    TaskInvocation,
    UnsupportedResourceInvoker,
    ecs_container_contract,
)

RUN_TASK = "arn:aws:states:::ecs:runTask.sync"
MACHINE = {
    "StartAt": "Score",
    "States": {
        "Score": {
            "Type": "Task",
            "Resource": RUN_TASK,
            "Parameters": {"Cluster": "senso"},
            "Retry": [{"ErrorEquals": ["Ecs.ServerException"], "MaxAttempts": 3}],
            "Next": "Publish",
        },
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True},
    },
}
MOCKS = {
    "StateMachines": {
        "org-evaluation": {
            "TestCases": {
                "RetryThenSucceed": {"Score": "ScoreFlaky", "Publish": "Published"},
                "Broken": {"Score": "ScoreBroken", "Publish": "Published"},
            }
        }
    },
    "MockedResponses": {
        "ScoreFlaky": {
            "0": {"Throw": {"Error": "Ecs.ServerException", "Cause": "capacity"}},
            "1-2": {"Throw": {"Error": "Ecs.ServerException", "Cause": "still no capacity"}},
            "3": {"Return": {"score": 0.9}},
        },
        "ScoreBroken": {"0-9": {"Throw": {"Error": "Ecs.ClientException", "Cause": "bad image"}}},
        "Published": {"0": {"Return": {"MessageId": "m-1"}}},
    },
}


def run(mocks: MockConfig, case: str) -> Any:
    invoker = mocks.invoker("org-evaluation", case)
    result = Interpreter(MACHINE, invoke_task=invoker, time_scale=0).run(
        {},
        execution_arn="e",
        execution_name="e",
        state_machine_arn="m",
        state_machine_name="org-evaluation",
    )
    return result, invoker


def test_throws_then_return_are_honoured_through_retries(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(MOCKS))
    mocks = MockConfig.load(path)
    assert mocks.test_cases("org-evaluation") == ["RetryThenSucceed", "Broken"]
    result, invoker = run(mocks, "RetryThenSucceed")
    assert (result.status, result.output) == ("SUCCEEDED", {"MessageId": "m-1"})
    assert invoker.calls == {"Score": 4, "Publish": 1}


def test_a_throw_that_is_not_retried_fails_the_execution() -> None:
    result, invoker = run(MockConfig(MOCKS), "Broken")
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "Ecs.ClientException",
        "bad image",
    )
    assert invoker.calls == {"Score": 1}


def test_unknown_test_case_and_dangling_response_are_config_errors() -> None:
    with pytest.raises(MockConfigError, match="no test case"):
        MockConfig(MOCKS).invoker("org-evaluation", "Nope")
    broken = {**MOCKS, "MockedResponses": {"Published": MOCKS["MockedResponses"]["Published"]}}
    with pytest.raises(MockConfigError, match="unknown response 'ScoreFlaky'"):
        MockConfig(broken)
    with pytest.raises(MockConfigError, match="not 'N' or 'N-M'"):
        MockConfig({"MockedResponses": {"R": {"first": {"Return": 1}}}})


def test_unmocked_states_go_to_the_fallback() -> None:
    mocks = MockConfig({"StateMachines": {"m": {"TestCases": {"c": {}}}}, "MockedResponses": {}})
    invoker = mocks.invoker("m", "c", fallback=lambda invocation: "real")
    invocation = TaskInvocation("S", RUN_TASK, {}, None, None, None, {})
    assert invoker(invocation) == "real"
    with pytest.raises(MockConfigError, match="no mocked response"):
        mocks.invoker("m", "c")(invocation)


def test_ecs_container_contract_reads_command_and_environment() -> None:
    parameters = {
        "Cluster": "senso",
        "TaskDefinition": "step",
        "Overrides": {
            "ContainerOverrides": [
                {
                    "Name": "step",
                    "Command": ["python", "-m", "handlers", "score"],
                    "Environment": [
                        {"Name": "ORG", "Value": "acme"},
                        {"Name": "BATCH", "Value": "7"},
                    ],
                }
            ]
        },
    }
    assert ecs_container_contract(parameters) == (
        ["python", "-m", "handlers", "score"],
        {"ORG": "acme", "BATCH": "7"},
    )
    assert ecs_container_contract({"Cluster": "senso"}) == ([], {})


@pytest.mark.parametrize(
    "parameters, message",
    [
        ("text", "must be an object"),
        (
            {"Overrides": {"ContainerOverrides": [{"Command": "python"}]}},
            "Command must be an array",
        ),
        (
            {"Overrides": {"ContainerOverrides": [{"Environment": [{"Name": "A", "Value": 1}]}]}},
            r"Environment\[0\]",
        ),
    ],
)
def test_ecs_container_contract_rejects_malformed_blocks(parameters: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ecs_container_contract(parameters)


def test_unsupported_resources_fail_as_task_failed() -> None:
    invoker = UnsupportedResourceInvoker({RUN_TASK: lambda invocation: "ran"})
    assert invoker(TaskInvocation("S", RUN_TASK, {}, None, None, None, {})) == "ran"
    with pytest.raises(StatesError) as raised:
        invoker(TaskInvocation("S", "arn:aws:states:::glue:startJobRun", {}, None, None, None, {}))
    assert raised.value.error == "States.TaskFailed"
    assert "glue:startJobRun" in (raised.value.cause or "")
