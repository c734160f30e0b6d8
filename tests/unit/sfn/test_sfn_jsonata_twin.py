"""A JSONata workflow and its JSONPath twin run identically: same status, output and states.

The workflow is small but uses what the issue names: Assign (a variable read later, and
inside a Map), a Map over items, a Choice on a computed total, and a Catch that routes a
failed task to a fallback. Both are run on three inputs (big order, small order, bad order).
"""

from __future__ import annotations

from typing import Any

import pytest
from sfn_cases import LAMBDA

from senso_cli.sfn import HistoryEvent, Interpreter, StatesError, TaskInvocation, validate

ARN = "arn:aws:states:us-east-1:123456789012"

JSONPATH = {
    "StartAt": "Remember",
    "States": {
        "Remember": {
            "Type": "Pass",
            "Assign": {"currency.$": "$.currency", "threshold": 20},
            "Next": "Price",
        },
        "Price": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"line.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {
                "StartAt": "Line",
                "States": {
                    "Line": {
                        "Type": "Pass",
                        "Parameters": {
                            "total.$": "States.MathAdd($.line.price, $.line.extra)",
                            "label.$": "States.Format('{} #{}', $currency, $.index)",
                        },
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.lines",
            "Assign": {"count.$": "States.ArrayLength($)"},
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": LAMBDA + "echo",
            "Parameters": {"lines.$": "$.lines", "fail.$": "$.fail"},
            "ResultSelector": {"totals.$": "$.lines[*].total"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fallback"}],
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.totals[0]",
                    "NumericGreaterThanEqualsPath": "$threshold",
                    "Next": "Big",
                }
            ],
            "Default": "Small",
        },
        "Big": {
            "Type": "Pass",
            "Parameters": {"size": "big", "lines.$": "$count", "first.$": "$.totals[0]"},
            "End": True,
        },
        "Small": {
            "Type": "Pass",
            "Parameters": {"size": "small", "lines.$": "$count", "first.$": "$.totals[0]"},
            "End": True,
        },
        "Fallback": {
            "Type": "Pass",
            "Parameters": {"size": "failed", "error.$": "$.error.Error"},
            "End": True,
        },
    },
}

JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Remember",
    "States": {
        "Remember": {
            "Type": "Pass",
            "Assign": {"currency": "{% $states.input.currency %}", "threshold": 20},
            "Next": "Price",
        },
        "Price": {
            "Type": "Map",
            "Items": "{% $states.input.items %}",
            "ItemSelector": {
                "line": "{% $states.context.Map.Item.Value %}",
                "index": "{% $states.context.Map.Item.Index %}",
            },
            "ItemProcessor": {
                "StartAt": "Line",
                "States": {
                    "Line": {
                        "Type": "Pass",
                        "Output": {
                            "total": "{% $round($states.input.line.price) "
                            "+ $round($states.input.line.extra) %}",
                            "label": "{% $currency & ' #' & $states.input.index %}",
                        },
                        "End": True,
                    }
                },
            },
            "Output": "{% $merge([$states.input, {'lines': $states.result}]) %}",
            "Assign": {"count": "{% $count($states.result) %}"},
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": LAMBDA + "echo",
            "Arguments": {"lines": "{% $states.input.lines %}", "fail": "{% $states.input.fail %}"},
            "Output": {"totals": "{% [$states.result.lines.total] %}"},
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Output": "{% $merge([$states.input, {'error': $states.errorOutput}]) %}",
                    "Next": "Fallback",
                }
            ],
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $states.input.totals[0] >= $threshold %}", "Next": "Big"}
            ],
            "Default": "Small",
        },
        "Big": {
            "Type": "Pass",
            "Output": {
                "size": "big",
                "lines": "{% $count %}",
                "first": "{% $states.input.totals[0] %}",
            },
            "End": True,
        },
        "Small": {
            "Type": "Pass",
            "Output": {
                "size": "small",
                "lines": "{% $count %}",
                "first": "{% $states.input.totals[0] %}",
            },
            "End": True,
        },
        "Fallback": {
            "Type": "Pass",
            "Output": {"size": "failed", "error": "{% $states.input.error.Error %}"},
            "End": True,
        },
    },
}


def run(definition: dict[str, Any], data: Any) -> tuple[Any, list[tuple[str, str | None]]]:
    events: list[HistoryEvent] = []

    def echo_or_fail(invocation: TaskInvocation) -> Any:
        if invocation.parameters.get("fail"):
            raise StatesError("CustomError", "the order cannot be charged")
        return invocation.parameters

    result = Interpreter(
        definition, invoke_task=echo_or_fail, time_scale=0, on_event=events.append
    ).run(
        data,
        execution_arn=f"{ARN}:execution:twin:run-1",
        execution_name="run-1",
        state_machine_arn=f"{ARN}:stateMachine:twin",
        state_machine_name="twin",
    )
    entered = [
        (event["type"], event.get("stateEnteredEventDetails", {}).get("name"))
        for event in events
        if event["type"].endswith("StateEntered")
    ]
    return (result.status, result.output, result.error), entered


ORDERS = {
    "big": {
        "currency": "EUR",
        "fail": False,
        "items": [{"price": 19.5, "extra": 0.4}, {"price": 3, "extra": 0}],
    },
    "small": {"currency": "USD", "fail": False, "items": [{"price": 4, "extra": 1.5}]},
    "failing": {"currency": "EUR", "fail": True, "items": [{"price": 1, "extra": 1}]},
}


def test_both_twins_are_valid() -> None:
    assert validate.problems(JSONPATH) == []
    assert validate.problems(JSONATA) == []


@pytest.mark.parametrize("order", list(ORDERS))
def test_jsonata_twin_runs_like_the_jsonpath_one(order: str) -> None:
    jsonpath_result, jsonpath_states = run(JSONPATH, ORDERS[order])
    jsonata_result, jsonata_states = run(JSONATA, ORDERS[order])
    assert jsonata_result == jsonpath_result
    assert jsonata_states == jsonpath_states


def test_the_twins_take_every_branch() -> None:
    outputs = {order: run(JSONPATH, data)[0][1] for order, data in ORDERS.items()}
    assert outputs == {
        "big": {"size": "big", "lines": 2, "first": 20},
        "small": {"size": "small", "lines": 1, "first": 6},
        "failing": {"size": "failed", "error": "CustomError"},
    }
