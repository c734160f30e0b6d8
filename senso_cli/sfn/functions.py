"""The intrinsic functions themselves: argument checks and results, one function each.

Each takes the execution's random source first (only MathRandom and UUID use it) and the
evaluated arguments after; ``ARITY`` gives the argument counts the parser enforces. Limits
(string length, ArrayRange size) and behaviours (StringSplit drops empty pieces, JsonMerge is
shallow only, MathRandom's end is exclusive) follow the developer guide.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from senso_cli.sfn import causes
from senso_cli.sfn.errors import INTRINSIC_FAILURE, StatesError

# The developer guide caps the string arguments of these functions and ArrayRange's length.
MAX_STRING_LENGTH = 10_000
MAX_RANGE_LENGTH = 1_000


def fail(function: str, message: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, causes.intrinsic(function, message))


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _integer(function: str, value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise fail(function, f"{what} must be an integer, got {to_json(value)}")
    return int(value)


def _rounded(function: str, value: Any, what: str) -> int:
    """A number rounded as the service rounds MathAdd/MathRandom arguments (Java's Math.round:
    halves go up, so 1.5 -> 2 and -1.5 -> -1) instead of failing on a fraction."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(function, f"{what} must be a number, got {to_json(value)}")
    return value if isinstance(value, int) else math.floor(value + 0.5)


def _array(function: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise fail(function, f"expected an array, got {to_json(value)}")
    return value


def _string(function: str, value: Any) -> str:
    if not isinstance(value, str):
        raise fail(function, f"expected a string, got {to_json(value)}")
    if len(value) > MAX_STRING_LENGTH:
        raise fail(function, f"the string is longer than {MAX_STRING_LENGTH} characters")
    return value


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: booleans are not numbers (Python's ``True == 1`` is not JSON's)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            same_json(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _string_to_json(rng: random.Random, value: Any) -> Any:
    text = _string("States.StringToJson", value)
    if not text.strip():
        return None  # the service answers null for an empty or blank string
    try:
        return json.loads(text)
    except ValueError as exc:
        raise fail("States.StringToJson", f"not valid JSON: {exc}") from None


def _json_to_string(rng: random.Random, value: Any) -> str:
    return to_json(value)


def format_value(value: Any, nested: bool = False) -> str:
    """A States.Format argument as the service renders it: strings as they are, objects and
    arrays the way Java prints maps and lists (``{a=1, b=[x, y]}``), not as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={format_value(v, True)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v, True) for v in value) + "]"
    return to_json(value)


def _array_of(rng: random.Random, *values: Any) -> list[Any]:
    return list(values)


def _array_partition(rng: random.Random, array: Any, size: Any) -> list[list[Any]]:
    items = _array("States.ArrayPartition", array)
    chunk = _integer("States.ArrayPartition", size, "the chunk size")
    if chunk <= 0:
        raise fail("States.ArrayPartition", "the chunk size must be greater than 0")
    return [items[i : i + chunk] for i in range(0, len(items), chunk)]


def _array_contains(rng: random.Random, array: Any, value: Any) -> bool:
    return any(same_json(item, value) for item in _array("States.ArrayContains", array))


def _array_range(rng: random.Random, start: Any, end: Any, step: Any) -> list[int]:
    first = _integer("States.ArrayRange", start, "the start")
    last = _integer("States.ArrayRange", end, "the end")
    stride = _integer("States.ArrayRange", step, "the step")
    if stride == 0:
        raise fail("States.ArrayRange", "the step must not be 0")
    # The end is inclusive: ArrayRange(1, 9, 2) is [1, 3, 5, 7, 9].
    numbers = range(first, last + (1 if stride > 0 else -1), stride)
    if len(numbers) > MAX_RANGE_LENGTH:
        raise fail("States.ArrayRange", f"the range has more than {MAX_RANGE_LENGTH} items")
    return list(numbers)


def _array_get_item(rng: random.Random, array: Any, index: Any) -> Any:
    items = _array("States.ArrayGetItem", array)
    position = _integer("States.ArrayGetItem", index, "the index")
    if not 0 <= position < len(items):
        raise fail("States.ArrayGetItem", f"index {position} is out of bounds")
    return items[position]


def _array_length(rng: random.Random, array: Any) -> int:
    return len(_array("States.ArrayLength", array))


def _array_unique(rng: random.Random, array: Any) -> list[Any]:
    unique: list[Any] = []
    for item in _array("States.ArrayUnique", array):
        if not any(same_json(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _base64_encode(rng: random.Random, value: Any) -> str:
    return base64.b64encode(_string("States.Base64Encode", value).encode()).decode("ascii")


def _base64_decode(rng: random.Random, value: Any) -> str:
    try:
        return base64.b64decode(_string("States.Base64Decode", value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise fail("States.Base64Decode", f"not valid base64 text: {exc}") from None


_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(rng: random.Random, value: Any, algorithm: Any) -> str:
    data = _string("States.Hash", value)
    if algorithm not in _HASHES:
        raise fail("States.Hash", f"the algorithm must be one of {', '.join(_HASHES)}")
    # MD5 and SHA-1 are what the workflow asked for, not a security control.
    return hashlib.new(_HASHES[algorithm], data.encode(), usedforsecurity=False).hexdigest()


def _json_merge(rng: random.Random, left: Any, right: Any, deep: Any) -> dict[str, Any]:
    if not isinstance(left, Mapping) or not isinstance(right, Mapping):
        raise fail("States.JsonMerge", "both arguments must be objects")
    if deep is not False:
        # AWS only implements the shallow mode and rejects anything but false here.
        raise fail(
            "States.JsonMerge",
            "only shallow merging is supported: the third argument must be false",
        )
    return {**left, **right}


def _math_random(rng: random.Random, start: Any, end: Any, seed: Any = None) -> int:
    low = _rounded("States.MathRandom", start, "the start")
    high = _rounded("States.MathRandom", end, "the end")
    if high <= low:
        raise fail("States.MathRandom", "the end must be greater than the start")
    source = rng if seed is None else random.Random(_rounded("States.MathRandom", seed, "the seed"))  # noqa: S311
    # The developer guide: start is inclusive, end is exclusive.
    return source.randrange(low, high)


def _math_add(rng: random.Random, left: Any, right: Any) -> int:
    return _rounded("States.MathAdd", left, "the first value") + _rounded(
        "States.MathAdd", right, "the second value"
    )


def _string_split(rng: random.Random, value: Any, splitter: Any) -> list[str]:
    text = _string("States.StringSplit", value)
    delimiters = _string("States.StringSplit", splitter)
    # Every character of the splitter is a delimiter, and empty pieces are dropped.
    pieces, current = [], ""
    for char in text:
        if char in delimiters:
            pieces.append(current)
            current = ""
        else:
            current += char
    pieces.append(current)
    return [piece for piece in pieces if piece] if delimiters else [text]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": _json_to_string,  # placeholder: intrinsics._format evaluates Format
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array_of,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}

_ANY = 10_000
ARITY: dict[str, tuple[int, int]] = {
    "States.Format": (1, _ANY),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, _ANY),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}
