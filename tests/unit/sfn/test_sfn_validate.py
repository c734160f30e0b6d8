"""Definition validation and reachability, plus unit checks of choice and intrinsic details."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from senso_cli.sfn import DefinitionError, StatesError, reachable_states, validate
from senso_cli.sfn.choice import matches, parse_timestamp, string_matches
from senso_cli.sfn.intrinsics import evaluate
from senso_cli.sfn.retry import error_matches


def test_a_valid_machine_has_no_problems() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "B"}],
                "Default": "C",
            },
            "B": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Succeed"},
        },
    }
    assert validate.problems(definition) == []
    assert reachable_states(definition) == {"A", "B", "C"}


def test_every_problem_is_listed() -> None:
    definition = {
        "StartAt": "Missing",
        "States": {
            "A": {"Type": "Pass", "Next": "Nowhere"},
            "B": {"Type": "Teleport"},
            "C": {
                "Type": "Task",
                "Resource": "arn:x",
                "Next": "A",
                "End": True,
                "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Other"]}],
                "Catch": [{"ErrorEquals": ["States.ALL", "Other"], "Next": "Gone"}],
            },
            "D": {"Type": "Choice", "Choices": []},
            "E": {"Type": "Wait", "Seconds": 1, "Timestamp": "2020-01-01T00:00:00Z", "End": True},
            "F": {"Type": "Pass", "Parameters": {"x.$": "not a path"}, "End": True},
            "G": {"Type": "Succeed", "Next": "A"},
        },
    }
    found = "\n".join(validate.problems(definition))
    for expected in (
        "StartAt 'Missing' does not name a state",
        "transition to 'Nowhere', which does not exist",
        "unknown Type 'Teleport'",
        "exactly one of Next or End",
        "Retry[0]: States.ALL must appear alone and in the last retrier",
        "Catch[0]: States.ALL must appear alone and in the last catcher",
        "transition to 'Gone'",
        "Choices must be a non-empty array",
        "a Wait needs exactly one of",
        "needs a path or intrinsic",
        "a Succeed state cannot have Next or End",
    ):
        assert expected in found


def test_unreachable_states_and_duplicate_names_across_branches() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True}}},
                    {
                        "StartAt": "X",
                        "States": {
                            "X": {"Type": "Pass", "End": True},
                            "Orphan": {"Type": "Pass", "End": True},
                        },
                    },
                ],
            },
            "Lost": {"Type": "Pass", "End": True},
        },
    }
    found = "\n".join(validate.problems(definition))
    assert "'Lost' is not reachable" in found
    assert "'Orphan' is not reachable" in found
    assert "'X' is used more than once" in found


def test_check_parses_json_text_and_raises_on_garbage() -> None:
    assert (
        validate.check('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')["StartAt"] == "A"
    )
    with pytest.raises(DefinitionError, match="not valid JSON"):
        validate.check("{")


@pytest.mark.parametrize(
    "pattern, error, expected",
    [
        ("States.ALL", "Anything", True),
        ("States.ALL", "States.Runtime", False),
        ("States.ALL", "States.DataLimitExceeded", False),
        ("States.DataLimitExceeded", "States.DataLimitExceeded", True),
        ("States.Runtime", "States.Runtime", False),
        ("States.TaskFailed", "Custom", True),
        ("States.TaskFailed", "States.Timeout", False),
        ("States.TaskFailed", "States.HeartbeatTimeout", False),
        ("States.Timeout", "States.HeartbeatTimeout", True),
        ("States.HeartbeatTimeout", "States.Timeout", False),
        ("Custom", "custom", False),
    ],
)
def test_error_matching(pattern: str, error: str, expected: bool) -> None:
    assert error_matches(pattern, StatesError(error)) is expected


def test_branch_failed_matches_only_errors_from_branches() -> None:
    assert error_matches("States.BranchFailed", StatesError("E", from_branch=True))
    assert not error_matches("States.BranchFailed", StatesError("E"))


@pytest.mark.parametrize(
    "text, glob, expected",
    [
        ("log-1.txt", "log-*.txt", True),
        ("log-.txt", "log-*.txt", True),
        ("log-1.csv", "log-*.txt", False),
        ("a*b", "a\\*b", True),
        ("axb", "a\\*b", False),
        ("a\\b", "a\\\\b", True),
        ("anything", "*", True),
        ("x.y", "x.y", True),
        ("xzy", "x.y", False),
    ],
)
def test_string_matches(text: str, glob: str, expected: bool) -> None:
    assert string_matches(text, glob) is expected


@pytest.mark.parametrize(
    "text, valid",
    [
        ("2016-08-18T17:33:00Z", True),
        ("2016-08-18T17:33:00.123456789Z", True),
        ("2016-08-18T17:33:00+05:30", True),
        ("2016-08-18t17:33:00Z", False),
        ("2016-08-18T17:33:00", False),
        ("2016-13-18T17:33:00Z", False),
        (17, False),
    ],
)
def test_timestamps(text: Any, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid


def test_numeric_comparisons_ignore_booleans() -> None:
    assert not matches({"Variable": "$.v", "NumericEquals": 1}, {"v": True}, {})
    assert matches({"Variable": "$.v", "BooleanEqualsPath": "$.w"}, {"v": True, "w": True}, {})


def test_a_missing_path_operand_is_a_runtime_error() -> None:
    with pytest.raises(StatesError) as raised:
        matches({"Variable": "$.v", "NumericEqualsPath": "$.nope"}, {"v": 1}, {})
    assert raised.value.error == "States.Runtime"


@pytest.mark.parametrize(
    "expression, message",
    [
        ("States.Format('{}')", "placeholders"),
        ("States.ArrayPartition($.a, 0)", "greater than 0"),
        ("States.ArrayRange(1, 2000, 1)", "more than 1000"),
        ("States.ArrayRange(1, 2, 0)", "must not be 0"),
        ("States.Hash('x', 'SHA-3')", "algorithm"),
        ("States.StringToJson('{')", "not valid JSON"),
        ("States.MathAdd('1', 1)", "must be a number"),
        ("States.ArrayLength('x')", "expected an array"),
        ("States.UUID(1)", "takes 0 arguments"),
        ("States.Base64Decode('***')", "base64"),
        ("States.ArrayGetItem($.a, 1)", "out of bounds"),
    ],
)
def test_intrinsic_failures(expression: str, message: str) -> None:
    with pytest.raises(StatesError) as raised:
        evaluate(expression, {"a": [1]}, {}, random.Random(0))
    assert raised.value.error == "States.IntrinsicFailure"
    assert message in (raised.value.cause or "")


def test_uuid_is_a_version_4_uuid_from_the_injected_random() -> None:
    first = evaluate("States.UUID()", {}, {}, random.Random(3))
    assert first == evaluate("States.UUID()", {}, {}, random.Random(3))
    assert first[14] == "4" and len(first) == 36


@pytest.mark.parametrize(
    "expression", ["States.Nope(1)", "States.Format('x'", "States.Array($.a[)"]
)
def test_malformed_intrinsics_are_definition_problems(expression: str) -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Parameters": {"x.$": expression}, "End": True}},
    }
    assert validate.problems(definition)


# --- JSONata machines and variables: accepted, and their problems worded as AWS words them ---

JSONATA_MACHINE = {
    "QueryLanguage": "JSONata",
    "StartAt": "A",
    "States": {
        "A": {
            "Type": "Pass",
            "Assign": {"n": "{% $count($states.input.items) %}"},
            "Output": {"items": "{% $states.input.items %}"},
            "Next": "C",
        },
        "C": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $n > 1 %}", "Next": "W"}],
            "Default": "F",
        },
        "W": {"Type": "Wait", "Seconds": "{% $n %}", "Next": "M"},
        "M": {
            "Type": "Map",
            "Items": "{% $states.input.items %}",
            "MaxConcurrency": "{% 2 %}",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}},
            "End": True,
        },
        "F": {"Type": "Fail", "Error": "{% 'Too' & 'Few' %}", "Cause": "c"},
    },
}


def test_a_jsonata_machine_is_valid() -> None:
    assert validate.problems(JSONATA_MACHINE) == []


def _with_state(**fields: object) -> dict[str, object]:
    machine = json.loads(json.dumps(JSONATA_MACHINE))
    machine["States"]["A"].update(fields)
    return machine


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"InputPath": "$.x"},
            "SCHEMA_VALIDATION_FAILED: The field 'InputPath' is not supported for JSONata "
            "states at /States/A",
        ),
        (
            {"Parameters": {"a.$": "$.x"}},
            "SCHEMA_VALIDATION_FAILED: The field 'Parameters' is not supported for JSONata "
            "states at /States/A",
        ),
        (
            {"QueryLanguage": "JSONPath"},
            "SCHEMA_VALIDATION_FAILED: 'QueryLanguage' can not be 'JSONPath' if set to "
            "'JSONata' for whole state machine at /States/A",
        ),
        (
            {"Assign": {"states": 1}},
            "SCHEMA_VALIDATION_FAILED: The variable name 'states' is reserved and cannot be "
            "assigned at /States/A/Assign",
        ),
    ],
)
def test_jsonata_problems_are_worded_like_aws(fields: dict[str, object], expected: str) -> None:
    assert expected in validate.problems(_with_state(**fields))


def test_an_expression_that_does_not_parse_is_a_problem_at_its_location() -> None:
    found = validate.problems(_with_state(Output={"x": "{% $states.input. %}"}))
    assert any(
        p.startswith("SCHEMA_VALIDATION_FAILED") and p.endswith("/States/A/Output/x") for p in found
    )


def test_a_jsonpath_machine_may_not_use_jsonata_fields() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Output": 1, "End": True}}}
    assert validate.problems(definition) == [
        "SCHEMA_VALIDATION_FAILED: The field 'Output' is not supported for JSONPath states "
        "at /States/A"
    ]


@pytest.mark.parametrize("escape", ['\\"', "\\n", "\\x"])
def test_intrinsic_string_literals_accept_only_the_four_escapes(escape: str) -> None:
    # The spec reserves \' \{ \} \\ ; the service rejects the definition for any other escape.
    definition = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Pass",
                "Parameters": {"x.$": f"States.Format('a{escape}b {{}}', $.v)"},
                "End": True,
            }
        },
    }
    assert any("invalid escape" in p for p in validate.problems(definition))


def test_variables_may_be_read_in_jsonpath_fields() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"v.$": "$.x"}, "Next": "B"},
            "B": {"Type": "Pass", "InputPath": "$v", "Parameters": {"y.$": "$v.k"}, "End": True},
        },
    }
    assert validate.problems(definition) == []
