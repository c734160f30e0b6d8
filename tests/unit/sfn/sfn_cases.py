"""The conformance table: small state machines with their expected output or error.

Most cases are the worked examples of the Amazon States Language specification and the Step
Functions developer guide (input/output processing, Choice rules, intrinsic functions, Retry
and Catch, Map and Parallel), rebuilt as one- or two-state machines. Task states call a small
fake "Lambda" table keyed by function name (``lambda_table``).

``moto_skip`` says why a case is not cross-checked against moto's interpreter; cases with a
Task are never cross-checked (moto would call real Lambda).
"""

from __future__ import annotations

import collections
import itertools
import threading
from dataclasses import dataclass
from typing import Any

from senso_cli.sfn import StatesError, TaskInvocation, TaskInvoker

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:"


@dataclass(frozen=True)
class Case:
    id: str
    definition: dict[str, Any]
    input: Any
    output: Any = None
    error: str | None = None  # expected error name; the status is then FAILED
    moto_skip: str | None = None

    @property
    def has_task(self) -> bool:
        return '"Task"' in repr(self.definition).replace("'", '"')


def lambda_table() -> TaskInvoker:
    """A fresh fake Lambda service: echo, fail, flaky (fails twice), greet, crash, timeout."""
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def invoke(invocation: TaskInvocation) -> Any:
        function = invocation.resource.rsplit(":", 1)[-1]
        with lock:
            calls[function] += 1
            count = calls[function]
        params = invocation.parameters
        if function == "echo":
            return params
        if function == "fail":
            raise StatesError("CustomError", "the function failed")
        if function == "flaky":
            if count <= 2:
                raise StatesError("Lambda.ServiceException", f"attempt {count} failed")
            return {"attempts": count}
        if function == "greet":
            return f"Hello, {params['who']}!"
        if function == "crash":
            raise RuntimeError("boom")
        if function == "timeout":
            raise StatesError("States.Timeout", "simulated")
        if function == "emr":
            return {
                "resourceType": "elasticmapreduce",
                "resource": "createCluster.sync",
                "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAI44Q"},
            }
        raise StatesError("Lambda.ResourceNotFoundException", function)

    return invoke


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def one(kind: str = "Pass", **fields: Any) -> dict[str, Any]:
    """A machine of one ending state of type ``kind``."""
    state: dict[str, Any] = {"Type": kind, **fields}
    if kind not in ("Succeed", "Fail"):
        state["End"] = True
    return machine({"S": state})


def task(function: str, **fields: Any) -> dict[str, Any]:
    return one("Task", Resource=LAMBDA + function, **fields)


def choose(*rules: dict[str, Any], default: bool = True, **fields: Any) -> dict[str, Any]:
    """A Choice whose rules go to Pass states answering "A", "B"...; Default answers "D"."""
    states: dict[str, Any] = {"C": {"Type": "Choice", "Choices": [], **fields}}
    for index, rule in enumerate(rules):
        target = "ABCDEFG"[index]
        states["C"]["Choices"].append({**rule, "Next": target})
        states[target] = {"Type": "Pass", "Result": target, "End": True}
    if default:
        states["C"]["Default"] = "Dflt"
        states["Dflt"] = {"Type": "Pass", "Result": "D", "End": True}
    return machine(states, "C")


_BRANCH_NAMES = itertools.count(1)


def pass_branch(**fields: Any) -> dict[str, Any]:
    """A one-Pass sub-machine; state names are unique machine-wide, as AWS requires."""
    name = f"P{next(_BRANCH_NAMES)}"
    return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True, **fields}}}


def fmt(expression: str) -> dict[str, Any]:
    """A Pass whose Parameters evaluate one intrinsic expression into ``r``."""
    return one(Parameters={"r.$": expression})


DOC_INPUT = {
    "comment": "An input comment.",
    "data": {"val1": 23, "val2": 17},
    "extra": "foo",
    "lambda": {"who": "AWS Step Functions"},
}
PRODUCT = {
    "comment": "Example for Parameters.",
    "product": {
        "details": {"color": "blue", "size": "small", "material": "cotton"},
        "availability": "in stock",
        "sku": "2317",
        "cost": "$23",
    },
}
NUMBERS = list(range(1, 10))
A0B = "moto evaluates $.a[0].b-style definite paths to a list"
TS = "moto only parses timestamps shaped YYYY-MM-DDTHH:MM:SSZ (no fraction, no offset)"

CASES: list[Case] = [
    # --- Input and output processing (developer guide "Processing input and output") ---
    Case(
        "resultpath-into-input",
        one(Result="Hello, AWS Step Functions!", ResultPath="$.taskresult"),
        DOC_INPUT,
        {**DOC_INPUT, "taskresult": "Hello, AWS Step Functions!"},
    ),
    Case(
        "inputpath-resultpath-outputpath",
        one(
            InputPath="$.lambda",
            Result="Hello, AWS Step Functions!",
            ResultPath="$.data.lambdaresult",
            OutputPath="$.data",
        ),
        DOC_INPUT,
        {"val1": 23, "val2": 17, "lambdaresult": "Hello, AWS Step Functions!"},
    ),
    Case(
        "resultpath-null-keeps-input", one(Result={"x": 1}, ResultPath=None), DOC_INPUT, DOC_INPUT
    ),
    Case("resultpath-dollar-replaces", one(Result={"x": 1}, ResultPath="$"), DOC_INPUT, {"x": 1}),
    Case(
        "resultpath-creates-nested",
        one(Result=5, ResultPath="$.a.b.c"),
        {"z": 0},
        {"z": 0, "a": {"b": {"c": 5}}},
    ),
    Case("resultpath-overwrites-key", one(Result=5, ResultPath="$.z"), {"z": 0}, {"z": 5}),
    Case(
        "resultpath-into-string-fails",
        one(Result=5, ResultPath="$.a.b"),
        {"a": "text"},
        error="States.ResultPathMatchFailure",
        moto_skip="moto does not fail a ResultPath into a string",
    ),
    Case(
        "parameters-doc-example",
        one(
            Parameters={
                "comment": "Selecting what I care about.",
                "MyDetails": {
                    "size.$": "$.product.details.size",
                    "exists.$": "$.product.availability",
                    "StaticValue": "foo",
                },
            }
        ),
        PRODUCT,
        {
            "comment": "Selecting what I care about.",
            "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"},
        },
    ),
    Case(
        "parameters-inside-arrays",
        one(Parameters={"list": [{"v.$": "$.a"}, 1, "x"]}),
        {"a": 7},
        {"list": [{"v": 7}, 1, "x"]},
    ),
    Case("parameters-whole-input", one(Parameters={"all.$": "$"}), {"a": 1}, {"all": {"a": 1}}),
    Case(
        "parameters-context-names",
        one(
            Parameters={
                "state.$": "$$.State.Name",
                "machine.$": "$$.StateMachine.Name",
                "name.$": "$$.Execution.Name",
            }
        ),
        {},
        {"state": "S", "machine": "conformance", "name": "run-1"},
        moto_skip="execution and machine names differ per cross-check run",
    ),
    Case(
        "parameters-context-input",
        one(Parameters={"in.$": "$$.Execution.Input.a"}),
        {"a": [1, 2]},
        {"in": [1, 2]},
    ),
    Case(
        "parameters-missing-path-fails",
        one(Parameters={"x.$": "$.missing"}),
        {"a": 1},
        error="States.Runtime",
    ),
    Case(
        "parameters-then-resultpath",
        one(Parameters={"b.$": "$.a"}, ResultPath="$.out"),
        {"a": 1},
        {"a": 1, "out": {"b": 1}},
    ),
    Case("inputpath-null-gives-empty", one(InputPath=None), {"a": 1}, {}),
    Case("outputpath-null-gives-empty", one(OutputPath=None), {"a": 1}, {}),
    Case("inputpath-missing-fails", one(InputPath="$.nope"), {"a": 1}, error="States.Runtime"),
    Case("outputpath-missing-fails", one(OutputPath="$.nope"), {"a": 1}, error="States.Runtime"),
    Case("path-index", one(InputPath="$.a[1]"), {"a": [10, 20, 30]}, 20),
    Case(
        "path-index-member",
        one(InputPath="$.a[0].b"),
        {"a": [{"b": 1}, {"b": 2}]},
        1,
        moto_skip=A0B,
    ),
    Case(
        "path-wildcard-member",
        one(InputPath="$.a[*].b"),
        {"a": [{"b": 1}, {"c": 0}, {"b": 2}]},
        [1, 2],
    ),
    Case("path-bracket-name", one(Parameters={"v.$": "$['odd key']"}), {"odd key": 3}, {"v": 3}),
    Case(
        "path-recursive",
        one(Parameters={"v.$": "$..id"}),
        {"a": {"id": 1, "b": [{"id": 2}]}},
        {"v": [1, 2]},
    ),
    Case("path-slice", one(InputPath="$.a[1:3]"), {"a": [1, 2, 3, 4]}, [2, 3]),
    Case(
        "path-negative-index",
        one(InputPath="$.a[-1]"),
        {"a": [1, 2, 3]},
        3,
        moto_skip="negative indexes are Jayway-specific",
    ),
    Case(
        "pass-result-object",
        one(Result={"x-datum": 0.381018, "y-datum": 622.2269926397355}),
        {"georefOf": "Home"},
        {"x-datum": 0.381018, "y-datum": 622.2269926397355},
    ),
    Case(
        "pass-result-with-resultpath-doc",
        one(Result={"x-datum": 0.381018, "y-datum": 622.2269926397355}, ResultPath="$.coords"),
        {"georefOf": "Home"},
        {"georefOf": "Home", "coords": {"x-datum": 0.381018, "y-datum": 622.2269926397355}},
    ),
    Case(
        "pass-chain",
        machine(
            {
                "A": {"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "Parameters": {"sum.$": "States.MathAdd($.a, 2)"},
                    "End": True,
                },
            }
        ),
        {},
        {"sum": 3},
    ),
    # --- Intrinsic functions (developer guide examples) ---
    Case(
        "format",
        fmt("States.Format('Hello, my name is {}.', $.name)"),
        {"name": "Arnav"},
        {"r": "Hello, my name is Arnav."},
    ),
    Case(
        "format-types",
        fmt("States.Format('{} {} {} {}', $.n, $.f, $.b, $.z)"),
        {"n": 3, "f": 1.5, "b": True, "z": None},
        {"r": "3 1.5 true null"},
    ),
    Case(
        "format-escaped-braces",
        fmt("States.Format('\\{\\} {} \\'q\\' \\\\', $.x)"),
        {"x": "v"},
        {"r": "{} v 'q' \\"},
        moto_skip="moto's intrinsic lexer rejects backslash escapes",
    ),
    Case(
        "format-wrong-arity",
        fmt("States.Format('{} {}', $.x)"),
        {"x": 1},
        error="States.IntrinsicFailure",
        moto_skip="moto formats with a missing argument instead of failing",
    ),
    Case(
        "string-to-json",
        fmt("States.StringToJson($.someString)"),
        {"someString": '{"number": 20}'},
        {"r": {"number": 20}},
    ),
    Case(
        "json-to-string",
        fmt("States.JsonToString($.dataObject)"),
        {"dataObject": {"foo": "bar", "zebra": "stripes"}},
        {"r": '{"foo":"bar","zebra":"stripes"}'},
    ),
    Case(
        "array",
        fmt("States.Array('Foo', 2020, $.someJson, null)"),
        {"someJson": {"random": "abcdefg"}},
        {"r": ["Foo", 2020, {"random": "abcdefg"}, None]},
        moto_skip="moto drops null arguments of States.Array (the guide's own example keeps it)",
    ),
    Case(
        "array-partition",
        fmt("States.ArrayPartition($.inputArray, 4)"),
        {"inputArray": NUMBERS},
        {"r": [[1, 2, 3, 4], [5, 6, 7, 8], [9]]},
    ),
    Case(
        "array-contains",
        fmt("States.ArrayContains($.inputArray, $.lookingFor)"),
        {"inputArray": NUMBERS, "lookingFor": 5},
        {"r": True},
    ),
    Case(
        "array-contains-absent",
        fmt("States.ArrayContains($.inputArray, 11)"),
        {"inputArray": NUMBERS},
        {"r": False},
    ),
    Case("array-range", fmt("States.ArrayRange(1, 9, 2)"), {}, {"r": [1, 3, 5, 7, 9]}),
    Case(
        "array-range-descending",
        fmt("States.ArrayRange(5, 1, -2)"),
        {},
        {"r": [5, 3, 1]},
        moto_skip="moto rejects negative steps; the developer guide only requires a non-zero step",
    ),
    Case(
        "array-get-item",
        fmt("States.ArrayGetItem($.inputArray, $.index)"),
        {"inputArray": NUMBERS, "index": 5},
        {"r": 6},
    ),
    Case(
        "array-get-item-out-of-bounds",
        fmt("States.ArrayGetItem($.a, 5)"),
        {"a": [1]},
        error="States.IntrinsicFailure",
    ),
    Case(
        "array-length", fmt("States.ArrayLength($.inputArray)"), {"inputArray": NUMBERS}, {"r": 9}
    ),
    Case(
        "array-unique",
        fmt("States.ArrayUnique($.inputArray)"),
        {"inputArray": [1, 2, 3, 3, 3, 3, 3, 3, 4]},
        {"r": [1, 2, 3, 4]},
    ),
    Case(
        "base64-encode",
        fmt("States.Base64Encode($.input)"),
        {"input": "Data to encode"},
        {"r": "RGF0YSB0byBlbmNvZGU="},
    ),
    Case(
        "base64-decode",
        fmt("States.Base64Decode($.base64)"),
        {"base64": "RGF0YSB0byBlbmNvZGU="},
        {"r": "Data to encode"},
    ),
    Case(
        "hash-sha1",
        fmt("States.Hash($.Data, $.Algorithm)"),
        {"Data": "input data", "Algorithm": "SHA-1"},
        {"r": "aaff4a450a104cd177d28d18d74485e8cae074b7"},
    ),
    Case(
        "hash-sha256",
        fmt("States.Hash('input data', 'SHA-256')"),
        {},
        {"r": "b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"},
    ),
    Case(
        "hash-md5",
        fmt("States.Hash('input data', 'MD5')"),
        {},
        {"r": "812f45842bc6d66ee14572ce20db8e86"},
    ),
    Case(
        "json-merge",
        fmt("States.JsonMerge($.json1, $.json2, false)"),
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
        {"r": {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3}},
    ),
    Case(
        "json-merge-deep-refused",
        fmt("States.JsonMerge($.a, $.b, true)"),
        {"a": {}, "b": {}},
        error="States.IntrinsicFailure",
        moto_skip="moto performs the deep merge",
    ),
    Case(
        "math-add", fmt("States.MathAdd($.value1, $.step)"), {"value1": 111, "step": -1}, {"r": 110}
    ),
    Case(
        "string-split",
        fmt("States.StringSplit($.inputString, $.splitter)"),
        {"inputString": "1,2,3,4,5", "splitter": ","},
        {"r": ["1", "2", "3", "4", "5"]},
    ),
    Case(
        "string-split-many-delimiters",
        fmt("States.StringSplit($.s, '.+,=')"),
        {"s": "This.is+a,test=string"},
        {"r": ["This", "is", "a", "test", "string"]},
    ),
    Case(
        "nested-calls",
        fmt("States.Format('{} items', States.ArrayLength(States.Array(1, 2, 3)))"),
        {},
        {"r": "3 items"},
    ),
    Case("intrinsic-context-path", fmt("States.Format('in {}', $$.State.Name)"), {}, {"r": "in S"}),
    # --- Choice rules ---
    Case(
        "choice-string-equals",
        choose({"Variable": "$.type", "StringEquals": "Private"}),
        {"type": "Private"},
        "A",
    ),
    Case(
        "choice-not",
        choose({"Not": {"Variable": "$.type", "StringEquals": "Private"}}),
        {"type": "Public"},
        "A",
    ),
    Case(
        "choice-and-range",
        choose(
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                ]
            }
        ),
        {"value": 25},
        "A",
    ),
    Case(
        "choice-and-out-of-range",
        choose(
            {
                "And": [
                    {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                    {"Variable": "$.value", "NumericLessThan": 30},
                ]
            }
        ),
        {"value": 30},
        "D",
    ),
    Case(
        "choice-or",
        choose(
            {
                "Or": [
                    {"Variable": "$.a", "BooleanEquals": True},
                    {"Variable": "$.b", "NumericEquals": 1},
                ]
            }
        ),
        {"a": False, "b": 1},
        "A",
    ),
    Case(
        "choice-first-match-wins",
        choose(
            {"Variable": "$.v", "NumericGreaterThan": 1},
            {"Variable": "$.v", "NumericGreaterThan": 0},
        ),
        {"v": 5},
        "A",
    ),
    Case(
        "choice-second-rule",
        choose(
            {"Variable": "$.v", "NumericGreaterThan": 10},
            {"Variable": "$.v", "NumericLessThanEquals": 10},
        ),
        {"v": 10},
        "B",
    ),
    Case(
        "choice-string-matches",
        choose({"Variable": "$.file", "StringMatches": "log-*.txt"}),
        {"file": "log-2024-01.txt"},
        "A",
    ),
    Case(
        "choice-string-matches-escaped-star",
        choose({"Variable": "$.s", "StringMatches": "a\\*b"}),
        {"s": "aXb"},
        "D",
    ),
    Case(
        "choice-string-ordering",
        choose(
            {"Variable": "$.s", "StringLessThan": "b"},
            {"Variable": "$.s", "StringGreaterThanEquals": "b"},
        ),
        {"s": "abc"},
        "A",
    ),
    Case(
        "choice-numeric-equals-path",
        choose({"Variable": "$.a", "NumericEqualsPath": "$.b"}),
        {"a": 2, "b": 2.0},
        "A",
    ),
    Case(
        "choice-string-equals-path",
        choose({"Variable": "$.a", "StringEqualsPath": "$$.State.Name"}),
        {"a": "C"},
        "A",
        moto_skip="moto cannot parse $$ paths in ...Path comparisons",
    ),
    Case(
        "choice-type-mismatch-is-false",
        choose({"Variable": "$.v", "NumericEquals": 1}),
        {"v": "1"},
        "D",
    ),
    Case("choice-is-present-false", choose({"Variable": "$.missing", "IsPresent": False}), {}, "A"),
    Case(
        "choice-is-present-true", choose({"Variable": "$.a", "IsPresent": True}), {"a": None}, "A"
    ),
    Case("choice-is-null", choose({"Variable": "$.a", "IsNull": True}), {"a": None}, "A"),
    Case("choice-is-numeric", choose({"Variable": "$.a", "IsNumeric": True}), {"a": 1.5}, "A"),
    Case(
        "choice-boolean-not-numeric",
        choose({"Variable": "$.a", "IsNumeric": True}),
        {"a": True},
        "D",
    ),
    Case("choice-is-string", choose({"Variable": "$.a", "IsString": False}), {"a": 3}, "A"),
    Case("choice-is-boolean", choose({"Variable": "$.a", "IsBoolean": True}), {"a": False}, "A"),
    Case(
        "choice-is-timestamp",
        choose({"Variable": "$.t", "IsTimestamp": True}),
        {"t": "2016-03-14T01:59:00Z"},
        "A",
    ),
    Case(
        "choice-is-timestamp-rejects-date",
        choose({"Variable": "$.t", "IsTimestamp": True}),
        {"t": "2016-03-14"},
        "D",
    ),
    Case(
        "choice-timestamp-less-than",
        choose({"Variable": "$.t", "TimestampLessThan": "2016-03-14T01:59:00Z"}),
        {"t": "2016-03-14T01:58:59.5Z"},
        "A",
        moto_skip=TS,
    ),
    Case(
        "choice-timestamp-offsets",
        choose({"Variable": "$.t", "TimestampEqualsPath": "$.u"}),
        {"t": "2020-01-01T02:00:00+02:00", "u": "2020-01-01T00:00:00Z"},
        "A",
        moto_skip=TS,
    ),
    Case(
        "choice-no-match-fails",
        choose({"Variable": "$.v", "NumericEquals": 1}, default=False),
        {"v": 2},
        error="States.NoChoiceMatched",
    ),
    Case(
        "choice-missing-variable-fails",
        choose({"Variable": "$.nope", "NumericEquals": 1}),
        {},
        error="States.Runtime",
        moto_skip="moto treats a missing Variable as a false comparison; AWS fails the state",
    ),
    Case(
        "choice-input-output-path",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "InputPath": "$.in",
                    "OutputPath": "$.keep",
                    "Choices": [{"Variable": "$.flag", "BooleanEquals": True, "Next": "Done"}],
                    "Default": "Done",
                },
                "Done": {"Type": "Succeed"},
            }
        ),
        {"in": {"flag": True, "keep": [1]}},
        [1],
    ),
    # --- Wait, Succeed, Fail ---
    Case(
        "wait-seconds",
        machine({"W": {"Type": "Wait", "Seconds": 0, "Next": "E"}, "E": {"Type": "Succeed"}}),
        {"a": 1},
        {"a": 1},
    ),
    Case(
        "wait-seconds-path",
        machine({"W": {"Type": "Wait", "SecondsPath": "$.s", "OutputPath": "$.s", "End": True}}),
        {"s": 0},
        0,
    ),
    Case("wait-past-timestamp", one("Wait", Timestamp="2016-03-14T01:59:00Z"), {"a": 1}, {"a": 1}),
    Case(
        "wait-timestamp-path",
        one("Wait", TimestampPath="$.when"),
        {"when": "2016-03-14T01:59:00Z"},
        {"when": "2016-03-14T01:59:00Z"},
    ),
    Case(
        "wait-long",
        one("Wait", Seconds=3600),
        {"a": 1},
        {"a": 1},
        moto_skip="moto would really wait an hour",
    ),
    Case("succeed-output-path", one("Succeed", OutputPath="$.a"), {"a": {"b": 1}}, {"b": 1}),
    Case("fail-error-cause", one("Fail", Error="ErrorA", Cause="Kaiju attack"), {}, error="ErrorA"),
    Case(
        "fail-error-path",
        one("Fail", ErrorPath="$.e", CausePath="$.c"),
        {"e": "Dynamic", "c": "why"},
        error="Dynamic",
    ),
    Case(
        "fail-cause-intrinsic",
        one("Fail", Error="E", CausePath="States.Format('x={}', $.x)"),
        {"x": 1},
        error="E",
    ),
    # --- Parallel ---
    Case(
        "parallel-two-branches",
        one("Parallel", Branches=[pass_branch(Result=1), pass_branch(InputPath="$.a")]),
        {"a": "x"},
        [1, "x"],
    ),
    Case(
        "parallel-parameters-resultpath",
        one(
            "Parallel",
            Parameters={"v.$": "$.a"},
            ResultPath="$.out",
            Branches=[pass_branch(), pass_branch(OutputPath="$.v")],
        ),
        {"a": 2},
        {"a": 2, "out": [{"v": 2}, 2]},
    ),
    Case(
        "parallel-result-selector",
        one(
            "Parallel",
            ResultSelector={"first.$": "$[0]", "n": 2},
            Branches=[pass_branch(Result="a"), pass_branch(Result="b")],
        ),
        {},
        {"first": "a", "n": 2},
    ),
    Case(
        "parallel-nested",
        one(
            "Parallel",
            Branches=[
                {
                    "StartAt": "In",
                    "States": {
                        "In": {
                            "Type": "Parallel",
                            "Branches": [pass_branch(Result=1), pass_branch(Result=2)],
                            "End": True,
                        }
                    },
                }
            ],
        ),
        {},
        [[1, 2]],
    ),
    Case(
        "parallel-branch-fails",
        one(
            "Parallel",
            Branches=[
                pass_branch(Result=1),
                {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "BranchBoom"}}},
            ],
        ),
        {},
        error="BranchBoom",
    ),
    Case(
        "parallel-catch",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "Next": "Ok",
                    "Branches": [
                        {
                            "StartAt": "F",
                            "States": {"F": {"Type": "Fail", "Error": "BranchBoom", "Cause": "c"}},
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["BranchBoom"], "ResultPath": "$.err", "Next": "Ok"}],
                },
                "Ok": {"Type": "Pass", "End": True},
            }
        ),
        {"a": 1},
        {"a": 1, "err": {"Error": "BranchBoom", "Cause": "c"}},
    ),
    Case(
        "parallel-catch-all",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}
                    ],
                    "Catch": [
                        {"ErrorEquals": ["Other"], "Next": "No"},
                        {"ErrorEquals": ["States.ALL"], "Next": "Yes"},
                    ],
                },
                "No": {"Type": "Pass", "Result": "no", "End": True},
                "Yes": {"Type": "Pass", "Result": "yes", "End": True},
            }
        ),
        {},
        "yes",
    ),
    Case(
        "parallel-retry-then-catch",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}
                    ],
                    "Retry": [
                        {
                            "ErrorEquals": ["E1"],
                            "MaxAttempts": 2,
                            "IntervalSeconds": 1,
                            "BackoffRate": 1,
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Yes"}],
                },
                "Yes": {"Type": "Pass", "Result": "caught", "End": True},
            }
        ),
        {},
        "caught",
        moto_skip="moto really sleeps the retry interval",
    ),
    Case(
        "parallel-branch-failed-catcher",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E1"}}}
                    ],
                    "Catch": [{"ErrorEquals": ["States.BranchFailed"], "Next": "Yes"}],
                },
                "Yes": {"Type": "Pass", "Result": "caught", "End": True},
            }
        ),
        {},
        "caught",
        moto_skip="States.BranchFailed matching a branch's own error is this interpreter's reading",
    ),
    # --- Map ---
    Case(
        "map-simple",
        one("Map", ItemProcessor=pass_branch(Parameters={"v.$": "$"})),
        [1, 2, 3],
        [{"v": 1}, {"v": 2}, {"v": 3}],
    ),
    Case(
        "map-items-path-selector",
        one(
            "Map",
            ItemsPath="$.items",
            ItemSelector={
                "index.$": "$$.Map.Item.Index",
                "value.$": "$$.Map.Item.Value",
                "tag.$": "$.tag",
            },
            ItemProcessor=pass_branch(),
        ),
        {"items": ["a", "b"], "tag": "t"},
        [{"index": 0, "value": "a", "tag": "t"}, {"index": 1, "value": "b", "tag": "t"}],
    ),
    Case(
        "map-legacy-iterator-parameters",
        one(
            "Map",
            ItemsPath="$.xs",
            Parameters={"x.$": "$$.Map.Item.Value"},
            Iterator=pass_branch(OutputPath="$.x"),
        ),
        {"xs": [5, 6]},
        [5, 6],
    ),
    Case(
        "map-max-concurrency-one",
        one("Map", MaxConcurrency=1, ItemProcessor=pass_branch(Result="done")),
        [1, 2, 3],
        ["done", "done", "done"],
    ),
    Case("map-empty", one("Map", ItemProcessor=pass_branch()), [], []),
    Case(
        "map-result-path",
        one(
            "Map",
            ItemsPath="$.xs",
            ResultPath="$.ys",
            ItemProcessor=pass_branch(
                Parameters={"double.$": "States.MathAdd($, $)"}, OutputPath="$.double"
            ),
        ),
        {"xs": [1, 2]},
        {"xs": [1, 2], "ys": [2, 4]},
    ),
    Case(
        "map-with-choice",
        one(
            "Map",
            ItemProcessor={
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericGreaterThan": 1, "Next": "Big"}],
                        "Default": "Small",
                    },
                    "Big": {"Type": "Pass", "Result": "big", "End": True},
                    "Small": {"Type": "Pass", "Result": "small", "End": True},
                },
            },
        ),
        [1, 2],
        ["small", "big"],
    ),
    Case(
        "map-iteration-fails",
        one(
            "Map",
            ItemProcessor={"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "ItemBad"}}},
        ),
        [1],
        error="ItemBad",
    ),
    Case(
        "map-catch",
        machine(
            {
                "M": {
                    "Type": "Map",
                    "End": True,
                    "ItemProcessor": {
                        "StartAt": "F",
                        "States": {"F": {"Type": "Fail", "Error": "ItemBad", "Cause": "c"}},
                    },
                    "Catch": [{"ErrorEquals": ["ItemBad"], "Next": "H"}],
                },
                "H": {"Type": "Pass", "End": True},
            }
        ),
        [1, 2],
        {"Error": "ItemBad", "Cause": "c"},
    ),
    Case(
        "map-items-not-array",
        one("Map", ItemsPath="$.x", ItemProcessor=pass_branch()),
        {"x": 1},
        error="States.Runtime",
    ),
    Case(
        "map-tolerated-failures",
        one(
            "Map",
            ToleratedFailureCount=1,
            ItemProcessor={
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "F"}],
                        "Default": "P",
                    },
                    "F": {"Type": "Fail", "Error": "Two"},
                    "P": {"Type": "Pass", "End": True},
                },
            },
        ),
        [1, 2, 3],
        [1, {"Error": "Two"}, 3],
        moto_skip="moto ignores ToleratedFailureCount on an inline Map",
    ),
    Case(
        "map-tolerance-exceeded",
        one(
            "Map",
            ToleratedFailurePercentage=10,
            ItemProcessor={"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad"}}},
        ),
        [1, 2],
        error="States.ExceedToleratedFailureThreshold",
        moto_skip="moto ignores ToleratedFailurePercentage on an inline Map",
    ),
    # --- Task, Retry and Catch (the fake Lambda table; never cross-checked) ---
    Case("task-echo", task("echo"), {"a": 1}, {"a": 1}),
    Case(
        "task-parameters-result-path",
        task(
            "greet",
            Parameters={"who.$": "$.lambda.who"},
            ResultPath="$.taskresult",
            OutputPath="$.taskresult",
        ),
        DOC_INPUT,
        "Hello, AWS Step Functions!",
    ),
    Case(
        "task-result-selector-doc",
        task(
            "emr",
            ResultSelector={
                "ClusterId.$": "$.output.ClusterId",
                "ResourceType.$": "$.resourceType",
            },
            ResultPath="$.EMROutput",
        ),
        {"x": 1},
        {"x": 1, "EMROutput": {"ClusterId": "AKIAI44Q", "ResourceType": "elasticmapreduce"}},
    ),
    Case("task-fails", task("fail"), {}, error="CustomError"),
    Case(
        "task-retry-succeeds",
        task("flaky", Retry=[{"ErrorEquals": ["Lambda.ServiceException"]}]),
        {},
        {"attempts": 3},
    ),
    Case(
        "task-retry-exhausted",
        task("flaky", Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}]),
        {},
        error="Lambda.ServiceException",
    ),
    Case(
        "task-retry-max-attempts-zero",
        task("flaky", Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]),
        {},
        error="Lambda.ServiceException",
    ),
    Case(
        "task-catch-result-path",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "fail",
                    "Next": "Done",
                    "Catch": [
                        {"ErrorEquals": ["CustomError"], "ResultPath": "$.error", "Next": "Recover"}
                    ],
                },
                "Recover": {"Type": "Pass", "End": True},
                "Done": {"Type": "Succeed"},
            }
        ),
        {"a": 1},
        {"a": 1, "error": {"Error": "CustomError", "Cause": "the function failed"}},
    ),
    Case(
        "task-catch-order",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "fail",
                    "End": True,
                    "Catch": [
                        {"ErrorEquals": ["Other"], "Next": "Wrong"},
                        {"ErrorEquals": ["CustomError", "Else"], "Next": "Right"},
                        {"ErrorEquals": ["States.ALL"], "Next": "Wrong"},
                    ],
                },
                "Wrong": {"Type": "Pass", "Result": "wrong", "End": True},
                "Right": {"Type": "Pass", "Result": "right", "End": True},
            }
        ),
        {},
        "right",
    ),
    Case(
        "task-failed-wildcard",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "fail",
                    "End": True,
                    "Catch": [
                        {"ErrorEquals": ["States.TaskFailed"], "ResultPath": None, "Next": "H"}
                    ],
                },
                "H": {"Type": "Pass", "Result": "handled", "End": True},
            }
        ),
        {},
        "handled",
    ),
    Case(
        "task-failed-does-not-match-timeout",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "timeout",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}],
                },
                "H": {"Type": "Pass", "End": True},
            }
        ),
        {},
        error="States.Timeout",
    ),
    Case(
        "task-crash-is-task-failed",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "crash",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}],
                },
                "H": {"Type": "Pass", "OutputPath": "$.Error", "End": True},
            }
        ),
        {},
        "States.TaskFailed",
    ),
    Case(
        "runtime-not-caught-by-all",
        machine(
            {
                "T": {
                    "Type": "Task",
                    "Resource": LAMBDA + "echo",
                    "InputPath": "$.missing",
                    "End": True,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                },
                "H": {"Type": "Pass", "End": True},
            }
        ),
        {},
        error="States.Runtime",
    ),
    Case(
        "task-in-map",
        one(
            "Map",
            ItemProcessor={
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": LAMBDA + "echo",
                        "Parameters": {"i.$": "$"},
                        "End": True,
                    }
                },
            },
        ),
        [1, 2],
        [{"i": 1}, {"i": 2}],
    ),
    Case("unknown-function", task("nope"), {}, error="Lambda.ResourceNotFoundException"),
]
