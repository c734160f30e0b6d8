"""Conformance cases for JSONata state machines and their variables.

From the developer guide's "Transforming data with JSONata in Step Functions" (the ``$states``
reserved variable, Arguments/Output, the functions Step Functions adds), "Passing data between
states with variables" (Assign, evaluation order, scopes) and the state pages' JSONata fields
(Choice ``Condition``, Map ``Items``/``ItemSelector``, Wait ``Seconds``/``Timestamp``, Fail
``Error``/``Cause``, catcher ``Output``/``Assign``).
"""

from __future__ import annotations

from typing import Any

from sfn_cases_aws import Case, located, machine

JSONATA = {"QueryLanguage": "JSONata"}
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


def jmachine(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    return machine(states, start, **JSONATA)


def jone(kind: str = "Pass", name: str = "S", **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": kind, **fields}
    if kind not in ("Succeed", "Fail", "Choice"):
        state["End"] = True
    return jmachine({name: state})


def expr(case_id: str, expression: str, expected: Any, data: Any = None) -> Case:
    """A JSONata Pass state whose Output is ``{% expression %}``."""
    return Case(case_id, jone(Output="{% " + expression + " %}"), data or {}, expected)


def expr_fails(case_id: str, expression: str, cause: str, data: Any = None) -> Case:
    return Case(
        case_id,
        jone(name="State0", Output="{% " + expression + " %}"),
        data or {},
        error="States.QueryEvaluationError",
        cause=located("State0", cause),
    )


ORDER = {
    "order": {
        "items": [{"price": 10, "qty": 2}, {"price": 5, "qty": 1}],
        "customer": {"name": "María"},
    }
}

EXPRESSIONS = [
    expr("jsonata-input", "$states.input", {"a": 1}, {"a": 1}),
    expr("jsonata-member", "$states.input.title", "Doctor", {"title": "Doctor"}),
    expr("jsonata-arithmetic", "$states.input.a * 2 + 1", 7, {"a": 3}),
    expr("jsonata-sum-of-products", "$sum($states.input.order.items.(price * qty))", 25, ORDER),
    expr(
        "jsonata-string-concat",
        "'Hello ' & $states.input.order.customer.name",
        "Hello María",
        ORDER,
    ),
    expr(
        "jsonata-filter",
        "$states.input.users[status = 0].name",
        "a",
        {"users": [{"name": "a", "status": 0}, {"name": "b", "status": 1}]},
    ),
    expr(
        "jsonata-filter-many",
        "$states.input.users[status >= 0].name",
        ["a", "b"],
        {"users": [{"name": "a", "status": 0}, {"name": "b", "status": 1}]},
    ),
    expr(
        "jsonata-object-constructor",
        '{"total": $count($states.input.l), "first": $states.input.l[0]}',
        {"total": 3, "first": 1},
        {"l": [1, 2, 3]},
    ),
    expr("jsonata-conditional", "$states.input.n > 5 ? 'big' : 'small'", "small", {"n": 2}),
    expr("jsonata-uppercase", "$uppercase($states.input.s)", "ABC", {"s": "abc"}),
    expr("jsonata-string-of-number", "$string(1.0)", "1"),
    expr("jsonata-number-from-string", "$number('42')", 42),
    expr("jsonata-join", "$join(['a', 'b'], '-')", "a-b"),
    expr("jsonata-map-lambda", "$map([1, 2, 3], function($v) { $v * 10 })", [10, 20, 30]),
    expr("jsonata-context-name", "$states.context.State.Name", "S"),
    expr("jsonata-context-execution-input", "$states.context.Execution.Input.k", 1, {"k": 1}),
    expr("jsonata-null-literal", "null", None),
    expr("jsonata-boolean", "$exists($states.input.a)", False),
    # The functions Step Functions adds to JSONata.
    expr("jsonata-partition-doc", "$partition([1,2,3,4], 2)", [[1, 2], [3, 4]]),
    expr("jsonata-partition-remainder", "$partition([1,2,3], 2)", [[1, 2], [3]]),
    expr("jsonata-range-doc", "$range(0, 10, 2)", [0, 2, 4, 6, 8, 10]),
    expr(
        "jsonata-hash-doc",
        "$hash('input data', 'SHA-1')",
        "aaff4a450a104cd177d28d18d74485e8cae074b7",
    ),
    expr("jsonata-random-below-one", "$random() < 1 and $random() >= 0", True),
    expr("jsonata-random-seeded-repeats", "$random(7) = $random(7)", True),
    expr("jsonata-uuid-shape", "$length($uuid())", 36),
    expr("jsonata-parse-doc", '$parse(\'{"foo": "bar"}\')', {"foo": "bar"}),
    expr("jsonata-parse-input", "$parse($states.input.s).k", 1, {"s": '{"k": 1}'}),
    # Failures: States.QueryEvaluationError with the service's cause (jsonata-js's messages).
    expr_fails(
        "jsonata-undefined-variable",
        "$doesNotExist",
        "The JSONata expression '$doesNotExist' specified for the field 'Output' "
        "returned nothing (undefined).",
    ),
    expr_fails(
        "jsonata-undefined-member",
        "$states.input.nope",
        "The JSONata expression '$states.input.nope' specified for the field 'Output' "
        "returned nothing (undefined).",
    ),
    expr_fails(
        "jsonata-unknown-function",
        "$randomSeeded(1)",
        "The JSONata expression '$randomSeeded(1)' specified for the field 'Output' "
        "threw an error during evaluation. T1006: Attempted to invoke a non-function",
    ),
    expr_fails(
        "jsonata-type-error",
        "1 + 'a'",
        "The JSONata expression '1 + 'a'' specified for the field 'Output' threw an error "
        'during evaluation. T2002: The right side of the "+" operator must evaluate to a '
        "number",
    ),
    expr_fails(
        "jsonata-cast-error",
        "$number('abc')",
        "The JSONata expression '$number('abc')' specified for the field 'Output' threw an "
        'error during evaluation. D3030: Unable to cast value to a number: "abc"',
    ),
    expr_fails(
        "jsonata-left-operand-error",
        "'a' - 1",
        "The JSONata expression ''a' - 1' specified for the field 'Output' threw an error "
        'during evaluation. T2001: The left side of the "-" operator must evaluate to a number',
    ),
    Case(
        "jsonata-undefined-in-output-field",
        jone(name="State0", Output={"result": "{% $x %}"}),
        {},
        error="States.QueryEvaluationError",
        cause=located(
            "State0",
            "The JSONata expression '$x' specified for the field "
            "'Output/result' returned nothing (undefined).",
        ),
    ),
    Case(
        "jsonata-undefined-in-assign",
        jone(name="State0", Assign={"result": "{% $x %}"}),
        {},
        error="States.QueryEvaluationError",
        cause=located(
            "State0",
            "The JSONata expression '$x' specified for the field "
            "'Assign/result' returned nothing (undefined).",
        ),
    ),
    Case(
        "jsonata-error-is-catchable",
        jmachine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "echo",
                    "Arguments": {"x": "{% $nope %}"},
                    "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}],
                    "End": True,
                },
                "H": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
            }
        ),
        {},
        "States.QueryEvaluationError",
    ),
]

STATES = [
    Case("jsonata-pass-default-output-is-input", jone(), {"a": 1}, {"a": 1}),
    Case(
        "jsonata-pass-static-output",
        jone(Output={"static": "Hello", "n": 1}),
        {},
        {"static": "Hello", "n": 1},
    ),
    Case(
        "jsonata-doc-arguments-example",
        jmachine(
            {
                "A": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "T"},
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "echo",
                    "Arguments": {
                        "static": "Hello",
                        "title": "{% $states.input.title %}",
                        "name": "{% $customerName %}",
                        "not-evaluated": "$customerName",
                    },
                    "End": True,
                },
            }
        ),
        {"title": "Doctor"},
        {"static": "Hello", "title": "Doctor", "name": "María", "not-evaluated": "$customerName"},
    ),
    Case(
        "jsonata-task-output-from-result",
        jone(
            "Task",
            Resource=LAMBDA + "echo",
            Arguments={"v": "{% $states.input.v %}"},
            Output={"got": "{% $states.result.v %}", "was": "{% $states.input %}"},
        ),
        {"v": 3},
        {"got": 3, "was": {"v": 3}},
    ),
    Case(
        "jsonata-task-default-output-is-result",
        jone("Task", Resource=LAMBDA + "echo", Arguments={"a": 1}),
        {"ignored": True},
        {"a": 1},
    ),
    Case(
        "jsonata-task-whole-arguments-expression",
        jone("Task", Resource=LAMBDA + "echo", Arguments="{% $states.input.payload %}"),
        {"payload": {"k": "v"}},
        {"k": "v"},
    ),
    Case(
        "jsonata-assign-result",
        jmachine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "echo",
                    "Arguments": {"p": 5},
                    "Assign": {"price": "{% $states.result.p %}"},
                    "Next": "R",
                },
                "R": {"Type": "Pass", "Output": "{% $price * 2 %}", "End": True},
            }
        ),
        {},
        10,
    ),
    Case(
        "jsonata-assign-not-visible-in-same-output",
        jmachine(
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"x": 2}, "Output": "{% $x %}", "Next": "C"},
                "C": {"Type": "Pass", "Output": "{% [$states.input, $x] %}", "End": True},
            }
        ),
        {},
        [1, 2],
    ),
    Case(
        "jsonata-assign-values-see-old",
        jmachine(
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "Assign": {"x": "{% $x + 1 %}", "y": "{% $x %}"},
                    "Next": "C",
                },
                "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "y": "{% $y %}"}, "End": True},
            }
        ),
        {},
        {"x": 2, "y": 1},
    ),
    Case(
        "jsonata-assign-nested-values",
        jmachine(
            {
                "A": {
                    "Type": "Pass",
                    "Assign": {"o": {"a": "{% 1 + 1 %}", "l": ["{% 'x' %}", 3]}},
                    "Next": "B",
                },
                "B": {"Type": "Pass", "Output": "{% $o %}", "End": True},
            }
        ),
        {},
        {"a": 2, "l": ["x", 3]},
    ),
    Case(
        "jsonata-choice-condition",
        jmachine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.n > 5 %}", "Next": "Big"}],
                    "Default": "Small",
                },
                "Big": {"Type": "Pass", "Output": "big", "End": True},
                "Small": {"Type": "Pass", "Output": "small", "End": True},
            }
        ),
        {"n": 9},
        "big",
    ),
    Case(
        "jsonata-choice-default",
        jmachine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.n > 5 %}", "Next": "Big"}],
                    "Default": "Small",
                },
                "Big": {"Type": "Pass", "Output": "big", "End": True},
                "Small": {"Type": "Pass", "Output": "small", "End": True},
            }
        ),
        {"n": 1},
        "small",
    ),
    Case(
        "jsonata-choice-rule-output-and-assign",
        jmachine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {
                            "Condition": "{% $states.input.ok %}",
                            "Output": {"r": "{% 'rule' %}"},
                            "Assign": {"via": "rule"},
                            "Next": "E",
                        }
                    ],
                    "Default": "E",
                    "Output": {"r": "default"},
                    "Assign": {"via": "default"},
                },
                "E": {
                    "Type": "Pass",
                    "Output": {"out": "{% $states.input.r %}", "via": "{% $via %}"},
                    "End": True,
                },
            }
        ),
        {"ok": True},
        {"out": "rule", "via": "rule"},
    ),
    Case(
        "jsonata-choice-state-output-on-default",
        jmachine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.ok %}", "Next": "E"}],
                    "Default": "E",
                    "Output": {"r": "default"},
                },
                "E": {"Type": "Succeed"},
            }
        ),
        {"ok": False},
        {"r": "default"},
    ),
    Case(
        "jsonata-choice-condition-not-boolean",
        jmachine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Condition": "{% $states.input.n %}", "Next": "E"}],
                    "Default": "E",
                },
                "E": {"Type": "Succeed"},
            }
        ),
        {"n": 1},
        error="States.QueryEvaluationError",
    ),
    Case(
        "jsonata-choice-no-match",
        jmachine(
            {
                "C": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "E"}]},
                "E": {"Type": "Succeed"},
            }
        ),
        {},
        error="States.NoChoiceMatched",
    ),
    Case(
        "jsonata-map-items-default-input",
        jone(
            "Map",
            ItemProcessor={
                "StartAt": "In",
                "States": {
                    "In": {"Type": "Pass", "Output": "{% $states.input * 2 %}", "End": True}
                },
            },
        ),
        [1, 2, 3],
        [2, 4, 6],
    ),
    Case(
        "jsonata-map-items-expression",
        jone(
            "Map",
            Items="{% $states.input.list %}",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"list": ["a", "b"]},
        ["a", "b"],
    ),
    Case(
        "jsonata-map-items-literal",
        jone(
            "Map",
            Items=[1, "{% 1 + 1 %}"],
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {},
        [1, 2],
    ),
    Case(
        "jsonata-map-item-selector",
        jone(
            "Map",
            Items="{% $states.input.l %}",
            ItemSelector={
                "index": "{% $states.context.Map.Item.Index %}",
                "value": "{% $states.context.Map.Item.Value %}",
                "shared": "{% $states.input.s %}",
            },
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"l": ["x", "y"], "s": 1},
        [{"index": 0, "value": "x", "shared": 1}, {"index": 1, "value": "y", "shared": 1}],
    ),
    Case(
        "jsonata-map-output-of-results",
        jone(
            "Map",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
            Output="{% $sum($states.result) %}",
        ),
        [1, 2, 3],
        6,
    ),
    Case(
        "jsonata-map-items-not-array",
        jone(
            "Map",
            name="MapIterateState",
            Items="{% $states.input.i %}",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"i": {"foo": "bar"}},
        error="States.QueryEvaluationError",
        cause=located(
            "MapIterateState",
            "The JSONata expression '$states.input.i' specified "
            "for the field 'Items' returned an unexpected result type. Expected "
            "'array', but was 'object' for value: {\"foo\":\"bar\"}",
        ),
    ),
    Case(
        "jsonata-map-input-not-array",
        jone(
            "Map",
            name="MapIterateState",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"foo": "bar"},
        error="States.QueryEvaluationError",
        cause=located("MapIterateState", 'Map state input must be an array but was: {"foo":"bar"}'),
    ),
    Case(
        "jsonata-wait-timestamp-invalid",
        jone("Wait", name="WaitState", Timestamp="{% $states.input.t %}"),
        {"t": "2016-12-05T21:29:29"},
        error="States.QueryEvaluationError",
        cause=located(
            "WaitState",
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time "
            "format string: 2016-12-05T21:29:29",
        ),
    ),
    Case(
        "jsonata-map-reads-outer-variable",
        jmachine(
            {
                "A": {"Type": "Pass", "Assign": {"k": 10}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "In",
                        "States": {
                            "In": {
                                "Type": "Pass",
                                "Output": "{% $states.input + $k %}",
                                "End": True,
                            }
                        },
                    },
                    "End": True,
                },
            }
        ),
        [1, 2],
        [11, 12],
    ),
    Case(
        "jsonata-parallel-arguments-and-output",
        jone(
            "Parallel",
            Arguments={"v": "{% $states.input.v %}"},
            Branches=[
                {
                    "StartAt": "B1",
                    "States": {
                        "B1": {"Type": "Pass", "Output": "{% $states.input.v + 1 %}", "End": True}
                    },
                },
                {
                    "StartAt": "B2",
                    "States": {
                        "B2": {"Type": "Pass", "Output": "{% $states.input.v + 2 %}", "End": True}
                    },
                },
            ],
            Output="{% $states.result[0] + $states.result[1] %}",
        ),
        {"v": 1},
        5,
    ),
    Case(
        "jsonata-wait-seconds-expression",
        jone("Wait", Seconds="{% $states.input.w %}"),
        {"w": 0},
        {"w": 0},
    ),
    Case(
        "jsonata-wait-timestamp-expression",
        jone("Wait", Timestamp="{% $states.input.t %}"),
        {"t": "2016-03-14T01:59:00Z"},
        {"t": "2016-03-14T01:59:00Z"},
    ),
    Case(
        "jsonata-fail-error-and-cause",
        jone("Fail", Error="{% $states.input.e %}", Cause="{% 'because ' & $states.input.c %}"),
        {"e": "Oops", "c": "x"},
        error="Oops",
        cause="because x",
    ),
    Case(
        "jsonata-catch-output-error-output",
        jmachine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "fail",
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Next": "H",
                            "Output": {
                                "e": "{% $states.errorOutput.Error %}",
                                "in": "{% $states.input %}",
                            },
                            "Assign": {"cause": "{% $states.errorOutput.Cause %}"},
                        }
                    ],
                    "End": True,
                },
                "H": {
                    "Type": "Pass",
                    "Output": {"o": "{% $states.input %}", "c": "{% $cause %}"},
                    "End": True,
                },
            }
        ),
        {"k": 1},
        {"o": {"e": "CustomError", "in": {"k": 1}}, "c": "the function failed"},
    ),
    Case(
        "jsonata-catch-default-output-is-error",
        jmachine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "fail",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                    "End": True,
                },
                "H": {"Type": "Succeed"},
            }
        ),
        {},
        {"Error": "CustomError", "Cause": "the function failed"},
    ),
    Case(
        "jsonata-succeed-output", jone("Succeed", Output={"done": "{% true %}"}), {}, {"done": True}
    ),
    Case(
        "jsonata-state-level-in-jsonpath-machine",
        machine(
            {
                "A": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "QueryLanguage": "JSONata",
                    "Output": "{% $states.input.v * 3 %}",
                    "End": True,
                },
            }
        ),
        {"v": 2},
        6,
    ),
    Case(
        "jsonata-jsonpath-variable-shared",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"x.$": "$.v"}, "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "QueryLanguage": "JSONata",
                    "Output": "{% $x %}",
                    "End": True,
                },
            }
        ),
        {"v": "shared"},
        "shared",
    ),
    Case(
        "jsonata-task-timeout-expression",
        jone("Task", Resource=LAMBDA + "echo", TimeoutSeconds="{% 5 %}", Arguments={"a": 1}),
        {},
        {"a": 1},
    ),
]
