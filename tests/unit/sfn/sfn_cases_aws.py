"""Conformance cases for the behaviours AWS documents and the runtime used to get wrong.

Each case is a small state machine, its input and what Step Functions answers: the output, or
the error name and (where it matters to operators) the exact cause. They come from the
developer guide's pages "Intrinsic functions", "Context object", "Wait state", "Passing data
between states with variables", "Transforming data with JSONata", "Error handling" and from
the Amazon States Language specification (states-language.net). moto's interpreter is not a
second opinion here: most of these are the places where it differs from the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    definition: dict[str, Any]
    input: Any
    output: Any = None
    error: str | None = None
    cause: str | None = None  # the exact cause, when given
    cause_contains: str | None = None


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def one(kind: str = "Pass", name: str = "S", **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": kind, **fields}
    if kind not in ("Succeed", "Fail", "Choice"):
        state["End"] = True
    return machine({name: state})


def located(state: str, cause: str, event: int = 2) -> str:
    prefix = f"An error occurred while executing the state '{state}'"
    return f"{prefix} (entered at the event id #{event}). {cause}"


# --- Intrinsic functions ----------------------------------------------------------------------


def intrinsic(case_id: str, expression: str, expected: Any, data: Any = None) -> Case:
    """``{"r.$": expression}`` in a Pass state's Parameters answers ``{"r": expected}``."""
    return Case(case_id, one(Parameters={"r.$": expression}), data or {}, {"r": expected})


def intrinsic_fails(case_id: str, expression: str, data: Any = None, contains: str = "") -> Case:
    return Case(
        case_id,
        one(Parameters={"r.$": expression}),
        data or {},
        error="States.IntrinsicFailure",
        cause_contains=contains or None,
    )


OBJ = {"Arg1": 1, "Arg2": []}

INTRINSICS = [
    # States.Format: strings as they are, objects and arrays the way the service prints them.
    intrinsic(
        "format-doc-example",
        "States.Format('Hello, my name is {}.', $.name)",
        "Hello, my name is Arnav.",
        {"name": "Arnav"},
    ),
    intrinsic(
        "format-empty-string",
        "States.Format('Formatting argument {}.', $.v)",
        "Formatting argument .",
        {"v": ""},
    ),
    intrinsic(
        "format-null",
        "States.Format('Formatting argument {}.', $.v)",
        "Formatting argument null.",
        {"v": None},
    ),
    intrinsic("format-integer", "States.Format('n={}', $.v)", "n=1", {"v": 1}),
    intrinsic("format-float", "States.Format('n={}', $.v)", "n=1.1", {"v": 1.1}),
    intrinsic("format-boolean", "States.Format('b={}', $.v)", "b=true", {"v": True}),
    intrinsic(
        "format-object-like-java", "States.Format('o={}', $.v)", "o={Arg1=1, Arg2=[]}", {"v": OBJ}
    ),
    intrinsic(
        "format-array-like-java",
        "States.Format('a={}', $.v)",
        "a=[1, x, null, true]",
        {"v": [1, "x", None, True]},
    ),
    intrinsic(
        "format-nested-object",
        "States.Format('{}', $.v)",
        "{a={b=[1, {c=d}]}}",
        {"v": {"a": {"b": [1, {"c": "d"}]}}},
    ),
    intrinsic(
        "format-json-text-stays-text",
        "States.Format('{}', $.v)",
        '{"Arg1": 1}',
        {"v": '{"Arg1": 1}'},
    ),
    intrinsic(
        "format-two-placeholders",
        "States.Format('fst={} and snd={}.', $.a, $.b)",
        "fst=x and snd=2.",
        {"a": "x", "b": 2},
    ),
    intrinsic("format-literal-arguments", "States.Format('{} {} {}', 'a', 1, null)", "a 1 null"),
    intrinsic_fails("format-too-few-arguments", "States.Format('{} {}', 'a')"),
    intrinsic_fails("format-too-many-arguments", "States.Format('{}', 'a', 'b')"),
    # String escapes in intrinsic string literals: \' \{ \} \\ and nothing else.
    intrinsic("escape-quote", "States.Format('It\\'s {}', 'here')", "It's here"),
    intrinsic("escape-braces", "States.Format('\\{\\} is {}', 'literal')", "{} is literal"),
    intrinsic("escape-backslash", "States.Format('a\\\\b {}', 'c')", "a\\b c"),
    intrinsic("escape-brace-alone", "States.Format('\\{ {}', 'x')", "{ x"),
    intrinsic("escape-in-array", "States.Array('a\\'b', 'c\\\\d')", ["a'b", "c\\d"]),
    intrinsic(
        "newline-is-not-an-escape", "States.StringSplit('Hello\nWorld', '\n')", ["Hello", "World"]
    ),
    # States.StringToJson
    intrinsic(
        "string-to-json-doc", "States.StringToJson($.s)", {"foo": "bar"}, {"s": '{"foo": "bar"}'}
    ),
    intrinsic("string-to-json-empty-is-null", "States.StringToJson($.s)", None, {"s": ""}),
    intrinsic("string-to-json-blank-is-null", "States.StringToJson($.s)", None, {"s": " "}),
    intrinsic("string-to-json-null", "States.StringToJson($.s)", None, {"s": "null"}),
    intrinsic("string-to-json-minus-zero", "States.StringToJson($.s)", 0, {"s": "-0"}),
    intrinsic("string-to-json-number", "States.StringToJson($.s)", 1.1, {"s": "1.1"}),
    intrinsic(
        "string-to-json-string", "States.StringToJson($.s)", "HelloWorld", {"s": '"HelloWorld"'}
    ),
    intrinsic(
        "string-to-json-array", "States.StringToJson($.s)", [1, 2, "x"], {"s": '[1, 2, "x"]'}
    ),
    intrinsic_fails("string-to-json-invalid", "States.StringToJson($.s)", {"s": "{"}),
    intrinsic_fails("string-to-json-not-a-string", "States.StringToJson($.s)", {"s": 1}),
    # States.JsonToString
    intrinsic(
        "json-to-string-object", "States.JsonToString($.v)", '{"Arg1":1,"Arg2":[]}', {"v": OBJ}
    ),
    intrinsic("json-to-string-null", "States.JsonToString($.v)", "null", {"v": None}),
    intrinsic("json-to-string-string", "States.JsonToString($.v)", '"x"', {"v": "x"}),
    intrinsic(
        "json-to-string-array",
        "States.JsonToString($.v)",
        '[1,2,"HelloWorld"]',
        {"v": [1, 2, "HelloWorld"]},
    ),
    intrinsic("json-to-string-float", "States.JsonToString($.v)", "1.1", {"v": 1.1}),
    # States.Array
    intrinsic(
        "array-doc",
        "States.Array('Foo', 2020, $.someJson, null)",
        ["Foo", 2020, {"random": "abcdefghijklmnopqrstuvwxyz"}, None],
        {"someJson": {"random": "abcdefghijklmnopqrstuvwxyz"}},
    ),
    intrinsic("array-empty", "States.Array()", []),
    intrinsic("array-of-objects", "States.Array($.a, $.a)", [OBJ, OBJ], {"a": OBJ}),
    # States.ArrayPartition
    intrinsic(
        "partition-doc",
        "States.ArrayPartition($.a, 4)",
        [[1, 2, 3, 4], [5, 6, 7, 8], [9]],
        {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]},
    ),
    intrinsic("partition-empty", "States.ArrayPartition($.a, 2)", [], {"a": []}),
    intrinsic(
        "partition-larger-chunk", "States.ArrayPartition($.a, 5)", [[0, 1, 2]], {"a": [0, 1, 2]}
    ),
    intrinsic(
        "partition-exact", "States.ArrayPartition($.a, 2)", [[0, 1], [2, 3]], {"a": [0, 1, 2, 3]}
    ),
    intrinsic_fails("partition-zero", "States.ArrayPartition($.a, 0)", {"a": [1]}),
    intrinsic_fails("partition-not-array", "States.ArrayPartition($.a, 1)", {"a": "x"}),
    # States.ArrayContains
    intrinsic(
        "contains-doc",
        "States.ArrayContains($.a, $.v)",
        True,
        {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "v": 5},
    ),
    intrinsic(
        "contains-array-value",
        "States.ArrayContains($.a, $.v)",
        True,
        {"a": [[1, 2, 3], 2], "v": [1, 2, 3]},
    ),
    intrinsic(
        "contains-object-value",
        "States.ArrayContains($.a, $.v)",
        True,
        {"a": [{"1": 2, "2": []}], "v": {"1": 2, "2": []}},
    ),
    intrinsic(
        "contains-null-absent",
        "States.ArrayContains($.a, $.v)",
        False,
        {"a": [[1, 2, 3], 2], "v": None},
    ),
    intrinsic("contains-empty", "States.ArrayContains($.a, $.v)", False, {"a": [], "v": []}),
    intrinsic(
        "contains-true-is-not-one", "States.ArrayContains($.a, $.v)", False, {"a": [1], "v": True}
    ),
    # States.ArrayRange (end inclusive)
    intrinsic("range-doc", "States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
    intrinsic("range-step-past-end", "States.ArrayRange(0, 10, 3)", [0, 3, 6, 9]),
    intrinsic("range-single", "States.ArrayRange(1, 9, 9)", [1]),
    intrinsic("range-descending", "States.ArrayRange(5, 1, -2)", [5, 3, 1]),
    intrinsic_fails("range-step-zero", "States.ArrayRange(1, 2, 0)"),
    intrinsic_fails("range-too-long", "States.ArrayRange(1, 2000, 1)"),
    # States.ArrayGetItem / ArrayLength / ArrayUnique
    intrinsic(
        "get-item-doc",
        "States.ArrayGetItem($.a, $.i)",
        6,
        {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9], "i": 5},
    ),
    intrinsic("get-item-first", "States.ArrayGetItem($.a, 0)", "x", {"a": ["x"]}),
    intrinsic_fails("get-item-out-of-bounds", "States.ArrayGetItem($.a, 3)", {"a": [1]}),
    intrinsic("length-doc", "States.ArrayLength($.a)", 9, {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}),
    intrinsic("length-empty", "States.ArrayLength($.a)", 0, {"a": []}),
    intrinsic_fails("length-not-array", "States.ArrayLength($.a)", {"a": {"k": 1}}),
    intrinsic(
        "unique-doc", "States.ArrayUnique($.a)", [1, 2, 3, 4], {"a": [1, 2, 3, 3, 3, 3, 3, 3, 4]}
    ),
    intrinsic(
        "unique-mixed-types",
        "States.ArrayUnique($.a)",
        [None, True, 1, "1", [], {"a": 1}],
        {"a": [None, None, True, 1, 1, "1", [], [], {"a": 1}, {"a": 1}]},
    ),
    intrinsic(
        "unique-length",
        "States.ArrayLength(States.ArrayUnique($.a))",
        3,
        {"a": [False, 0, False, 0.5]},
    ),
    # States.Base64Encode / Base64Decode / Hash
    intrinsic(
        "base64-encode-doc",
        "States.Base64Encode($.s)",
        "RGF0YSB0byBlbmNvZGU=",
        {"s": "Data to encode"},
    ),
    intrinsic(
        "base64-decode-doc", "States.Base64Decode($.s)", "Decoded data", {"s": "RGVjb2RlZCBkYXRh"}
    ),
    intrinsic(
        "base64-round-trip", "States.Base64Decode(States.Base64Encode($.s))", "é ü", {"s": "é ü"}
    ),
    intrinsic_fails("base64-decode-invalid", "States.Base64Decode($.s)", {"s": "***"}),
    intrinsic(
        "hash-doc-sha1",
        "States.Hash($.Data, $.Algorithm)",
        "aaff4a450a104cd177d28d18d74485e8cae074b7",
        {"Data": "input data", "Algorithm": "SHA-1"},
    ),
    intrinsic("hash-md5", "States.Hash('input data', 'MD5')", "812f45842bc6d66ee14572ce20db8e86"),
    intrinsic(
        "hash-sha256",
        "States.Hash('', 'SHA-256')",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    intrinsic_fails("hash-unknown-algorithm", "States.Hash('x', 'SHA-3')"),
    intrinsic_fails("hash-not-a-string", "States.Hash(1, 'MD5')"),
    # States.JsonMerge
    intrinsic(
        "json-merge-doc",
        "States.JsonMerge($.json1, $.json2, false)",
        {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3},
        {"json1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}},
    ),
    intrinsic(
        "json-merge-nested-call",
        'States.JsonMerge(States.StringToJson(\'{"k": "v"}\'), $.o, false)',
        {"k": "v", "x": 1},
        {"o": {"x": 1}},
    ),
    intrinsic_fails("json-merge-deep-refused", "States.JsonMerge($.a, $.a, true)", {"a": {}}),
    intrinsic_fails("json-merge-not-objects", "States.JsonMerge($.a, $.a, false)", {"a": [1]}),
    # States.MathRandom (end exclusive) and States.MathAdd round fractions like Java.
    intrinsic("random-single-value", "States.MathRandom(5, 6)", 5),
    intrinsic("random-rounds-bounds", "States.MathRandom($.a, $.b)", 5, {"a": 4.6, "b": 5.5}),
    intrinsic("random-seeded-single-value", "States.MathRandom(7, 8, 42)", 7),
    intrinsic_fails("random-empty-range", "States.MathRandom(3, 3)"),
    intrinsic("add-doc", "States.MathAdd($.value1, $.step)", 112, {"value1": 111, "step": 1}),
    intrinsic("add-negative", "States.MathAdd($.a, $.b)", -6, {"a": -9, "b": 3}),
    intrinsic("add-rounds-149-15", "States.MathAdd($.a, $.b)", 3, {"a": 1.49, "b": 1.5}),
    intrinsic("add-rounds-15-151", "States.MathAdd($.a, $.b)", 4, {"a": 1.5, "b": 1.51}),
    intrinsic(
        "add-rounds-negative-halves-up", "States.MathAdd($.a, $.b)", -2, {"a": -1.49, "b": -1.5}
    ),
    intrinsic("add-rounds-half-up", "States.MathAdd($.a, 0)", 3, {"a": 2.5}),
    intrinsic("add-rounds-minus-half-to-zero", "States.MathAdd($.a, 0)", 0, {"a": -0.5}),
    intrinsic("add-rounds-minus-151", "States.MathAdd($.a, 0)", -2, {"a": -1.51}),
    intrinsic_fails("add-string", "States.MathAdd($.a, 1)", {"a": "1"}),
    # States.StringSplit
    intrinsic(
        "split-doc",
        "States.StringSplit($.s, $.d)",
        ["1", "2", "3", "4", "5"],
        {"s": "1,2,3,4,5", "d": ","},
    ),
    intrinsic(
        "split-every-char-a-delimiter",
        "States.StringSplit($.s, '.+,=')",
        ["This", "is", "a", "test", "string"],
        {"s": "This.is+a,test=string"},
    ),
    intrinsic("split-drops-empty", "States.StringSplit(',,,,', ',')", []),
    intrinsic("split-keeps-blanks", "States.StringSplit(' , ', ',')", [" ", " "]),
    intrinsic(
        "format-template-from-path",
        "States.Format($.t, $.n)",
        "Hi Ana!",
        {"t": "Hi {}!", "n": "Ana"},
    ),
    # Variables and the context object as arguments.
    intrinsic(
        "format-context-machine-like-java-map",
        "States.Format('{}', $$.StateMachine)",
        "{Id=arn:aws:states:us-east-1:123456789012:stateMachine:conformance, Name=conformance}",
    ),
    intrinsic("format-context-name", "States.Format('in {}', $$.State.Name)", "in S"),
    intrinsic(
        "nested-calls",
        "States.ArrayGetItem(States.StringSplit($.s, 'T'), 0)",
        "2020-05-27",
        {"s": "2020-05-27T08:00:00.000Z"},
    ),
]

# --- The context object --------------------------------------------------------------------

CONTEXT = [
    Case(
        "context-execution-input",
        one(Parameters={"i.$": "$$.Execution.Input"}),
        {"k": 1},
        {"i": {"k": 1}},
    ),
    Case(
        "context-state-name",
        one(name="Named", Parameters={"n.$": "$$.State.Name"}),
        {},
        {"n": "Named"},
    ),
    Case(
        "context-machine-name",
        one(Parameters={"n.$": "$$.StateMachine.Name"}),
        {},
        {"n": "conformance"},
    ),
    Case(
        "context-redrive-count", one(Parameters={"n.$": "$$.Execution.RedriveCount"}), {}, {"n": 0}
    ),
    Case(
        "context-retry-count-absent-on-pass",
        one(Parameters={"n.$": "$$.State.RetryCount"}),
        {},
        error="States.Runtime",
    ),
    Case(
        "context-map-item-only-in-selector",
        one(
            "Map",
            ItemSelector={"i.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"},
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        ["a", "b"],
        [{"i": 0, "v": "a"}, {"i": 1, "v": "b"}],
    ),
    Case(
        "context-map-item-absent-inside",
        one(
            "Map",
            ItemProcessor={
                "StartAt": "In",
                "States": {
                    "In": {"Type": "Pass", "Parameters": {"v.$": "$$.Map.Item.Value"}, "End": True}
                },
            },
        ),
        ["a"],
        error="States.Runtime",
    ),
    Case(
        "context-as-input-path",
        one(InputPath="$$.Execution.Input"),
        {"input-value": 0},
        {"input-value": 0},
    ),
]

# --- JSONPath: filters, brackets, the service's reasons -------------------------------------

USERS = {"users": [{"name": "a", "status": 0}, {"name": "b", "status": 1}, {"name": "c"}]}
BOOKS = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99},
            {
                "category": "fiction",
                "author": "J. R. R. Tolkien",
                "isbn": "0-395-19395-8",
                "price": 22.99,
            },
        ]
    }
}


def select(case_id: str, path: str, data: Any, expected: Any) -> Case:
    return Case(case_id, one(Parameters={"r.$": path}), data, {"r": expected})


PATHS = [
    select(
        "filter-equals-number", "$.users[?(@.status == 0)]", USERS, [{"name": "a", "status": 0}]
    ),
    select("filter-then-member", "$.users[?(@.status == 1)].name", USERS, ["b"]),
    select("filter-existence", "$.users[?(@.status)].name", USERS, ["a", "b"]),
    select(
        "filter-not-equal-includes-missing", "$.users[?(@.status != 0)].name", USERS, ["b", "c"]
    ),
    select("filter-or", "$.users[?(@.name == 'c' || @.status == 0)].name", USERS, ["a", "c"]),
    select("filter-and", "$.users[?(@.status >= 0 && @.name != 'a')].name", USERS, ["b"]),
    select("filter-less-than", "$.store.book[?(@.price < 10)].author", BOOKS, ["Nigel Rees"]),
    select(
        "filter-string-equals",
        "$.store.book[?(@.category == 'fiction')].price",
        BOOKS,
        [12.99, 22.99],
    ),
    select("filter-isbn-present", "$.store.book[?(@.isbn)].author", BOOKS, ["J. R. R. Tolkien"]),
    select("filter-no-match-is-empty", "$.users[?(@.status == 9)]", USERS, []),
    select("filter-string-is-not-number", "$.users[?(@.status == '0')]", USERS, []),
    select("filter-in-list", "$.users[?(@.name in ['a', 'c'])].name", USERS, ["a", "c"]),
    select("filter-descendant", "$..book[?(@.price > 20)].author", BOOKS, ["J. R. R. Tolkien"]),
    select("filter-regex", "$.store.book[?(@.author =~ /.*Waugh/)].price", BOOKS, [12.99]),
    select("bracket-escaped-quote", "$['it\\'s']", {"it's": 5}, 5),
    select(
        "bracket-backslash-before-other-quote-stays",
        "$['Test\\\"\"Name\"']",
        {'Test\\""Name"': 'Value"\\'},
        'Value"\\',
    ),
    select("bracket-double-quotes", '$["a b"]', {"a b": 1}, 1),
    select("bracket-then-index", "$['list'][1]", {"list": [0, 9]}, 9),
    select("negative-index", "$.list[-1]", {"list": [0, 9]}, 9),
    select("slice", "$.list[1:3]", {"list": [0, 1, 2, 3]}, [1, 2]),
    Case(
        "input-path-missing-cause",
        one(name="pass", InputPath="$.NoSuchInputPath"),
        {},
        error="States.Runtime",
        cause=located(
            "pass", "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
        ),
    ),
    Case(
        "output-path-missing-cause",
        one(name="pass", OutputPath="$.NoSuchOutputPath"),
        {},
        error="States.Runtime",
        cause=located(
            "pass", "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"
        ),
    ),
    Case(
        "output-path-missing-intermediate",
        one(name="S", OutputPath="$.no.such.result.path"),
        {},
        error="States.Runtime",
        cause=located(
            "S", "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
        ),
    ),
    Case(
        "parameters-path-missing-cause",
        one(name="pass", Parameters={"value.$": "$.nope"}),
        {"a": 1},
        error="States.Runtime",
        cause=located(
            "pass",
            "The JSONPath '$.nope' specified for the field 'value.$' could "
            "not be found in the input '{\"a\":1}'",
        ),
    ),
    Case(
        "parameters-context-path-missing",
        one(name="pass", Parameters={"v.$": "$$.Nope"}),
        {},
        error="States.Runtime",
        cause_contains="The JSONPath '$$.Nope' specified for the field "
        "'v.$' could not be found in the input '{\"Execution\"",
    ),
    Case(
        "cause-names-second-state",
        machine(
            {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "InputPath": "$.x", "End": True},
            }
        ),
        {},
        error="States.Runtime",
        cause=located("B", "Invalid path '$.x' : No results for path: $['x']", 4),
    ),
    Case(
        "intrinsic-path-missing-is-runtime",
        one(name="pass", Parameters={"r.$": "States.Format('{}', $.nope)"}),
        {},
        error="States.Runtime",
        cause=located(
            "pass",
            "The JSONPath '$.nope' specified for the field 'r.$' could not "
            "be found in the input '{}'",
        ),
    ),
    Case(
        "fail-error-path-missing",
        one("Fail", name="fail", ErrorPath="$.ErrorX", Cause="c"),
        {},
        error="States.Runtime",
        cause=located(
            "fail",
            "The JSONPath '$.ErrorX' specified for the field 'ErrorPath' "
            "could not be found in the input '{}'",
        ),
    ),
    Case(
        "fail-paths-doc",
        one("Fail", ErrorPath="$.e", CausePath="$.c"),
        {"e": "StudentDeletionFailed", "c": "boom"},
        error="StudentDeletionFailed",
        cause="boom",
    ),
    Case(
        "fail-cause-path-intrinsic",
        one("Fail", Error="E", CausePath="States.Format('cause: {}', $.c)"),
        {"c": "x"},
        error="E",
        cause="cause: x",
    ),
    Case(
        "choice-variable-missing",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.nope", "NumericEquals": 1, "Next": "D"}],
                    "Default": "D",
                },
                "D": {"Type": "Succeed"},
            }
        ),
        {},
        error="States.Runtime",
        cause_contains="(entered at the event id #2). Invalid path '$.nope'",
    ),
    Case(
        "no-choice-matched-cause",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "D"}],
                },
                "D": {"Type": "Succeed"},
            }
        ),
        {"v": 2},
        error="States.NoChoiceMatched",
        cause="No Choice Rules matched and no Default was specified.",
    ),
    Case(
        "items-path-not-array",
        one(
            "Map",
            name="MapIterateState",
            ItemsPath="$.i",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"i": {"foo": "bar"}},
        error="States.Runtime",
        cause=located("MapIterateState", 'Map state input must be an array but was: {"foo":"bar"}'),
    ),
    Case(
        "tolerated-percentage-out-of-range",
        one(
            "Map",
            name="MapState",
            ToleratedFailurePercentagePath="$.p",
            ItemsPath="$.i",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"p": 101, "i": []},
        error="States.Runtime",
        cause=located("MapState", "ToleratedFailurePercentage must be between 0 and 100."),
    ),
    Case(
        "max-concurrency-path-not-integer",
        one(
            "Map",
            name="MapState",
            ItemsPath="$.i",
            MaxConcurrencyPath="$.m",
            ItemProcessor={"StartAt": "In", "States": {"In": {"Type": "Pass", "End": True}}},
        ),
        {"i": [], "m": "NoNumber"},
        error="States.Runtime",
        cause=located(
            "MapState",
            'The MaxConcurrencyPath field refers to value "NoNumber" '
            "which is not a valid integer: $.m",
        ),
    ),
    Case(
        "tolerated-threshold-cause",
        one(
            "Map",
            ToleratedFailureCount=0,
            ItemProcessor={"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "X"}}},
        ),
        [1],
        error="States.ExceedToleratedFailureThreshold",
        cause="The specified tolerated failure threshold was exceeded",
    ),
]

# --- Wait --------------------------------------------------------------------------------------


def wait(
    case_id: str, data: Any, error: str | None = None, cause: str | None = None, **fields: Any
) -> Case:
    output = None if error else data
    return Case(case_id, one("Wait", name="WaitState", **fields), data, output, error, cause)


WAITS = [
    wait("seconds-path-whole", {"w": 0}, SecondsPath="$.w"),
    wait("seconds-path-whole-float", {"w": 1.0}, SecondsPath="$.w"),
    wait(
        "seconds-path-fraction",
        {"w": 1.5},
        "States.Runtime",
        located(
            "WaitState", "The SecondsPath parameter cannot be parsed as a long value: $.w == 1.5"
        ),
        SecondsPath="$.w",
    ),
    wait(
        "seconds-path-negative-fraction",
        {"w": -1.5},
        "States.Runtime",
        located(
            "WaitState", "The SecondsPath parameter cannot be parsed as a long value: $.w == -1.5"
        ),
        SecondsPath="$.w",
    ),
    wait(
        "seconds-path-negative",
        {"w": -1},
        "States.Runtime",
        located("WaitState", "The SecondsPath parameter references a negative value: $.w == -1"),
        SecondsPath="$.w",
    ),
    wait(
        "seconds-path-string",
        {"w": "3"},
        "States.Runtime",
        located(
            "WaitState", "The SecondsPath parameter cannot be parsed as a long value: $.w == 3"
        ),
        SecondsPath="$.w",
    ),
    wait(
        "seconds-path-missing",
        {},
        "States.Runtime",
        located(
            "WaitState",
            "The SecondsPath parameter does not reference an input value: $.input.waitSeconds",
        ),
        SecondsPath="$.input.waitSeconds",
    ),
    wait(
        "seconds-path-too-long",
        {"w": 2**31},
        "States.Runtime",
        located("WaitState", "Wait state delay is too long."),
        SecondsPath="$.w",
    ),
    wait(
        "timestamp-too-far",
        {"t": "2999-01-01T00:00:00Z"},
        "States.Runtime",
        located("WaitState", "Wait state delay is too long."),
        TimestampPath="$.t",
    ),
    wait("timestamp-in-the-past", {"t": "2016-03-14T01:59:00Z"}, TimestampPath="$.t"),
    wait(
        "timestamp-path-invalid",
        {"t": "2016-12-05T21:29:29"},
        "States.Runtime",
        located(
            "WaitState",
            "The TimestampPath parameter does not reference a valid ISO-8601 "
            "extended offset date-time format string: $.t == 2016-12-05T21:29:29",
        ),
        TimestampPath="$.t",
    ),
]

# --- Variables in JSONPath states --------------------------------------------------------------


VARIABLES = [
    Case(
        "assign-constants-then-read",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"x": 42, "s": "str"}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "s.$": "$s"}, "End": True},
            }
        ),
        {},
        {"x": 42, "s": "str"},
    ),
    Case(
        "assign-doc-evaluation-order",
        machine(
            {
                "State0": {
                    "Type": "Pass",
                    "Result": {"theQuestion": "What?"},
                    "Assign": {"question.$": "$.theQuestion", "answer": 42},
                    "Next": "State1",
                },
                "State1": {
                    "Type": "Pass",
                    "InputPath": "$answer",
                    "ResultPath": "$.theAnswer",
                    "OutputPath": "$answer",
                    "Assign": {"answer": "<omitted>"},
                    "End": True,
                },
            }
        ),
        {},
        42,
    ),
    Case(
        "assign-reads-raw-task-result-not-result-path",
        machine(
            {
                "A": {
                    "Type": "Pass",
                    "Result": {"v": 1},
                    "ResultPath": "$.r",
                    "Assign": {"v.$": "$.v"},
                    "Next": "B",
                },
                "B": {"Type": "Pass", "OutputPath": "$v", "End": True},
            }
        ),
        {},
        1,
    ),
    Case(
        "assign-parallel-values-see-old",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"x": 2, "y.$": "$x"}, "Next": "C"},
                "C": {"Type": "Pass", "Parameters": {"x.$": "$x", "y.$": "$y"}, "End": True},
            }
        ),
        {},
        {"x": 2, "y": 1},
    ),
    Case(
        "variable-path-into-object",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"o": {"k": [1, 2]}}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"v.$": "$o.k[1]"}, "End": True},
            }
        ),
        {},
        {"v": 2},
    ),
    Case(
        "variable-in-intrinsic",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"n": "Ana"}, "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "Parameters": {"g.$": "States.Format('hi {}', $n)"},
                    "End": True,
                },
            }
        ),
        {},
        {"g": "hi Ana"},
    ),
    Case(
        "assign-from-intrinsic",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"n.$": "States.MathAdd($.a, 1)"}, "Next": "B"},
                "B": {"Type": "Pass", "OutputPath": "$n", "End": True},
            }
        ),
        {"a": 1},
        2,
    ),
    Case(
        "variable-in-choice",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"go": True}, "Next": "C"},
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$go", "BooleanEquals": True, "Next": "Y"}],
                    "Default": "N",
                },
                "Y": {"Type": "Pass", "Result": "yes", "End": True},
                "N": {"Type": "Pass", "Result": "no", "End": True},
            }
        ),
        {},
        "yes",
    ),
    Case(
        "assign-in-choice-rule",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.v", "NumericEquals": 1, "Assign": {"w": "one"}, "Next": "Y"}
                    ],
                    "Default": "Y",
                    "Assign": {"w": "default"},
                },
                "Y": {"Type": "Pass", "OutputPath": "$w", "End": True},
            }
        ),
        {"v": 1},
        "one",
    ),
    Case(
        "assign-in-choice-default",
        machine(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.v", "NumericEquals": 1, "Assign": {"w": "one"}, "Next": "Y"}
                    ],
                    "Default": "Y",
                    "Assign": {"w": "default"},
                },
                "Y": {"Type": "Pass", "OutputPath": "$w", "End": True},
            }
        ),
        {"v": 2},
        "default",
    ),
    Case(
        "assign-in-wait",
        machine(
            {
                "W": {"Type": "Wait", "Seconds": 0, "Assign": {"w.$": "$.v"}, "Next": "Y"},
                "Y": {"Type": "Pass", "OutputPath": "$w", "End": True},
            }
        ),
        {"v": 3},
        3,
    ),
    Case(
        "assign-in-catch",
        machine(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "F",
                            "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "c"}},
                        }
                    ],
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Assign": {"err.$": "$.Error"},
                            "ResultPath": "$.e",
                            "Next": "Y",
                        }
                    ],
                    "End": True,
                },
                "Y": {"Type": "Pass", "Parameters": {"err.$": "$err", "in.$": "$"}, "End": True},
            }
        ),
        {"k": 1},
        {"err": "Boom", "in": {"k": 1, "e": {"Error": "Boom", "Cause": "c"}}},
    ),
    Case(
        "map-reads-outer-variable",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"m": 10}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "In",
                        "States": {
                            "In": {
                                "Type": "Pass",
                                "Parameters": {"v.$": "$", "m.$": "$m"},
                                "End": True,
                            }
                        },
                    },
                    "End": True,
                },
            }
        ),
        [1, 2],
        [{"v": 1, "m": 10}, {"v": 2, "m": 10}],
    ),
    Case(
        "map-inner-variables-stay-inside",
        machine(
            {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "In",
                        "States": {
                            "In": {"Type": "Pass", "Assign": {"inner.$": "$"}, "Next": "In2"},
                            "In2": {"Type": "Pass", "OutputPath": "$inner", "End": True},
                        },
                    },
                    "Next": "After",
                },
                "After": {"Type": "Pass", "Parameters": {"x.$": "$inner"}, "End": True},
            }
        ),
        [1],
        error="States.Runtime",
    ),
    Case(
        "parallel-branches-read-outer",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"o": "out"}, "Next": "P"},
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "B1",
                            "States": {"B1": {"Type": "Pass", "OutputPath": "$o", "End": True}},
                        },
                        {
                            "StartAt": "B2",
                            "States": {"B2": {"Type": "Pass", "Result": 2, "End": True}},
                        },
                    ],
                    "End": True,
                },
            }
        ),
        {},
        ["out", 2],
    ),
    Case(
        "map-cannot-assign-outer-variable",
        machine(
            {
                "A": {"Type": "Pass", "Assign": {"o": 1}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "In",
                        "States": {"In": {"Type": "Pass", "Assign": {"o": 2}, "End": True}},
                    },
                    "End": True,
                },
            }
        ),
        [1],
        error="States.Runtime",
        cause_contains="(entered at the event id #",
    ),
    Case(
        "undefined-variable-is-runtime",
        one(Parameters={"x.$": "$nope"}),
        {},
        error="States.Runtime",
    ),
]
