"""Property tests: JSONPath get/set round trips and intrinsic function identities."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from senso_cli.sfn import intrinsics, paths
from senso_cli.sfn.errors import PathNotFoundError

KEYS = st.text(
    alphabet=st.characters(blacklist_characters=".[]*'\"\\", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.text(max_size=10)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
OBJECTS = st.dictionaries(KEYS, JSON, max_size=5)
RNG = random.Random(0)


def bracket_path(keys: list[str]) -> str:
    return "$" + "".join(f"['{key}']" for key in keys)


def dotted_path(keys: list[str]) -> str:
    return "$" + "".join(f".{key}" for key in keys)


def evaluate(expression: str, data: Any) -> Any:
    return intrinsics.evaluate(expression, data, {}, RNG)


@settings(max_examples=150, deadline=None)
@given(OBJECTS, st.lists(KEYS, min_size=1, max_size=4), JSON)
def test_a_value_set_at_a_path_is_read_back(
    data: dict[str, Any], keys: list[str], value: Any
) -> None:
    for render in (bracket_path, dotted_path):
        path = render(keys)
        try:
            updated = paths.set_at(data, path, value)
        except PathNotFoundError:
            # Only possible when the path runs through a non-object that is already there.
            assert not isinstance(_walk(data, keys[:-1]), dict)
            continue
        assert paths.get(updated, path) == value
        assert paths.exists(updated, path)


def _walk(data: Any, keys: list[str]) -> Any:
    node = data
    for key in keys:
        if not isinstance(node, dict):
            return node
        if key not in node:
            return {}
        node = node[key]
    return node


@settings(max_examples=150, deadline=None)
@given(OBJECTS, st.lists(KEYS, min_size=1, max_size=3), JSON)
def test_setting_a_path_leaves_the_original_and_siblings_untouched(
    data: dict[str, Any], keys: list[str], value: Any
) -> None:
    before = json.dumps(data, sort_keys=True)
    try:
        updated = paths.set_at(data, bracket_path(keys), value)
    except PathNotFoundError:
        return
    assert json.dumps(data, sort_keys=True) == before
    for key, original in data.items():
        if key != keys[0]:
            assert updated[key] == original


@settings(max_examples=100, deadline=None)
@given(st.lists(JSON, max_size=6))
def test_index_and_wildcard_agree_with_python(items: list[Any]) -> None:
    data = {"a": items}
    assert paths.get(data, "$.a[*]") == items
    for index, item in enumerate(items):
        assert paths.get(data, f"$.a[{index}]") == item
    assert paths.get(data, "$.a[1:3]") == items[1:3]


@settings(max_examples=150, deadline=None)
@given(JSON)
def test_json_to_string_and_back_is_identity(value: Any) -> None:
    text = evaluate("States.JsonToString($.v)", {"v": value})
    assert isinstance(text, str)
    assert evaluate("States.StringToJson($.t)", {"t": text}) == value


@settings(max_examples=150, deadline=None)
@given(st.lists(JSON, max_size=30), st.integers(1, 12))
def test_array_partition_preserves_items_and_sizes(items: list[Any], size: int) -> None:
    chunks = evaluate("States.ArrayPartition($.a, $.n)", {"a": items, "n": size})
    assert [item for chunk in chunks for item in chunk] == items
    assert all(len(chunk) == size for chunk in chunks[:-1])
    assert len(chunks) == evaluate("States.ArrayLength($.c)", {"c": chunks})
    assert len(chunks) == -(-len(items) // size)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 5) | st.booleans(), max_size=15))
def test_array_unique_is_idempotent_and_keeps_first_occurrences(items: list[Any]) -> None:
    unique = evaluate("States.ArrayUnique($.a)", {"a": items})
    assert evaluate("States.ArrayUnique($.a)", {"a": unique}) == unique
    assert all(
        evaluate("States.ArrayContains($.u, $.x)", {"u": unique, "x": item}) for item in items
    )
    # true and 1 are different JSON values
    assert sum(isinstance(item, bool) for item in unique) <= 2


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_base64_round_trip(text: str) -> None:
    encoded = evaluate("States.Base64Encode($.s)", {"s": text})
    assert evaluate("States.Base64Decode($.e)", {"e": encoded}) == text


@settings(max_examples=100, deadline=None)
@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(1, 7))
def test_array_range_matches_an_inclusive_python_range(start: int, end: int, step: int) -> None:
    step = step if end >= start else -step
    numbers = evaluate(f"States.ArrayRange({start}, {end}, {step})", {})
    assert numbers == list(range(start, end + (1 if step > 0 else -1), step))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="ab{}'\\ ", max_size=12), st.text(max_size=5))
def test_escaped_template_text_is_reproduced_literally(text: str, value: str) -> None:
    escaped = "".join("\\" + char if char in "{}'\\" else char for char in text)
    result = evaluate(f"States.Format('{escaped}<{{}}>', $.v)", {"v": value})
    assert result == f"{text}<{value}>"


@settings(max_examples=50, deadline=None)
@given(st.integers(-100, 100), st.integers(1, 100), st.integers(0, 2**31))
def test_math_random_stays_in_range_and_is_seeded(start: int, width: int, seed: int) -> None:
    expression = f"States.MathRandom({start}, {start + width}, {seed})"
    value = evaluate(expression, {})
    assert start <= value < start + width
    assert evaluate(expression, {}) == value
