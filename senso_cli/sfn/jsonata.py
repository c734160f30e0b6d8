"""JSONata in state machines: ``{% ... %}`` expressions evaluated by the ``jsonatapy`` library.

Step Functions implements JSONata 2.0 and adds six functions of its own (developer guide,
"Transforming data with JSONata"): ``$partition``, ``$range``, ``$hash``, ``$random`` (with an
optional seed), ``$uuid`` and ``$parse``; ``$eval`` is not available. Expressions see the
reserved ``$states`` (input, result, errorOutput, context) and every workflow variable; the
root ``$`` is undefined, as on the service.

Failures are ``States.QueryEvaluationError`` with the service's causes: an expression that
"returned nothing (undefined)" where a value is required, or that "threw an error during
evaluation" (with JSONata's own error code and message).

Why ``jsonatapy`` (a Rust implementation, JSONata 2.x) rather than the pure-Python
``jsonata-python``: both give the same results on the developer guide's examples, and
``jsonatapy`` compiles and evaluates an expression about 25x faster (0.02 ms against 0.55 ms),
which keeps a JSONata state's cost near a JSONPath one's (docs/dependencies.md).
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from senso_cli.sfn import causes, functions
from senso_cli.sfn.errors import QUERY_EVALUATION_ERROR, StatesError

if TYPE_CHECKING:
    import jsonatapy

_OPEN, _CLOSE = "{%", "%}"


def is_expression(value: object) -> bool:
    return (
        isinstance(value, str)
        and value.startswith(_OPEN)
        and value.endswith(_CLOSE)
        and len(value) >= 4
    )


def body(value: str) -> str:
    """The expression between ``{%`` and ``%}``, as the service quotes it in causes."""
    return value[2:-2].strip()


def _fail(function: str, message: str) -> ValueError:
    return ValueError(f"{function}: {message}")


def _partition(array: Any, size: Any) -> Any:
    return _intrinsic(functions.FUNCTIONS["States.ArrayPartition"], array, size)


def _range(start: Any, end: Any, step: Any) -> Any:
    numbers = _intrinsic(functions.FUNCTIONS["States.ArrayRange"], start, end, step)
    # A JSONata sequence of one value is that value: the service answers 1, not [1].
    return numbers[0] if len(numbers) == 1 else numbers


def _hash(data: Any, algorithm: Any) -> Any:
    return _intrinsic(functions.FUNCTIONS["States.Hash"], data, algorithm)


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise _fail("$parse", "the argument must be a string")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _fail("$parse", f"not valid JSON: {exc}") from None


_RNG = random.Random()  # noqa: S311 -- $random is not a security control
_RNG_LOCK = threading.Lock()


def _random(seed: Any = None) -> float:
    if seed is None:
        with _RNG_LOCK:
            return _RNG.random()
    return random.Random(seed).random()  # noqa: S311


def _uuid() -> str:
    return str(uuid.uuid4())


def _intrinsic(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(_RNG, *args)
    except StatesError as exc:
        raise ValueError(exc.cause) from None


_ADDED: dict[str, Callable[..., Any]] = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "parse": _parse,
    "uuid": _uuid,
}


def compile_expression(text: str) -> jsonatapy.JsonataExpression:
    """Compile ``text`` with the service's added functions (raises ValueError if it does not
    parse).

    Not cached: jsonatapy's compiled expressions belong to the thread that made them and must
    also be dropped there (a Map's iterations run on several threads), and compiling is cheap
    (about 0.015 ms for a typical expression).
    """
    return _compile(text)


def _compile(text: str) -> jsonatapy.JsonataExpression:
    import jsonatapy  # here, not at the top: only machines using JSONata pay for it

    expression = jsonatapy.compile(text)
    for name, function in _ADDED.items():
        expression.register(name, function)
    expression.register_override("random", _random)
    expression.register_override("eval", _no_eval)
    return expression


def _no_eval(*args: Any) -> Any:
    raise ValueError("T1006: Attempted to invoke a non-function")


def evaluate(expression: str, bindings: Mapping[str, Any], field: str) -> Any:
    """Evaluate ``expression`` (without its ``{% %}``) for ``field`` (e.g. ``Output/result``).

    Raises ``StatesError(States.QueryEvaluationError)`` for an undefined result or an error.
    """
    text, message = _run(expression, bindings)
    if message is not None:
        raise StatesError(QUERY_EVALUATION_ERROR, causes.jsonata_failed(expression, field, message))
    if text is None:
        raise StatesError(QUERY_EVALUATION_ERROR, causes.jsonata_undefined(expression, field))
    return json.loads(text)


def _run(expression: str, bindings: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(the result as JSON text or None when undefined, None) or (None, the error message).

    The library's exception is turned into text here, on purpose: its traceback would keep the
    compiled expression alive until whichever thread drops the error, and jsonatapy objects
    must be dropped by the thread that made them.
    """
    try:
        compiled = compile_expression(expression)
    except ValueError as exc:
        return None, _message(exc)
    try:
        return compiled.evaluate_json_or_none(None, dict(bindings)), None
    except ValueError as exc:
        return None, _message(exc)
    finally:
        del compiled


def syntax_error(expression: str) -> str | None:
    """Why ``expression`` does not parse, or None when it does."""
    try:
        compile_expression(expression)
    except ValueError as exc:
        return _message(exc)
    return None


# jsonata-js's wording (which the service prints) for codes where jsonatapy words it otherwise.
_JS_MESSAGES = {
    "T1006": "Attempted to invoke a non-function",
    "D3001": "Attempting to invoke string function on Infinity or NaN",
    "D3010": "Second argument of replace function cannot be an empty string",
    "D3138": "The $single() function expected exactly 1 matching result.  Instead it matched more.",
    "D3139": "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
}
_OPERAND = re.compile(r"^(T200[12]): The (left|right) side of the (\S+) operator (.*)$")
_CAST = re.compile(r"^D3030: Cannot convert '(.*)' to number$")


def _message(exc: ValueError) -> str:
    """JSONata's ``CODE: message`` as jsonata-js (and so the service) words it."""
    message = str(exc)
    for prefix in ("Parse error: Invalid syntax: ", "Parse error: "):
        message = message.removeprefix(prefix)
    code = message.split(":", 1)[0]
    if code in _JS_MESSAGES:
        return f"{code}: {_JS_MESSAGES[code]}"
    if operand := _OPERAND.match(message):
        code, side, operator, rest = operand.groups()
        return f"{code}: The {side} side of the {json.dumps(operator)} operator {rest}"
    if cast := _CAST.match(message):
        return f"D3030: Unable to cast value to a number: {json.dumps(cast.group(1))}"
    return message


def resolve(template: Any, bindings: Mapping[str, Any], field: str) -> Any:
    """A JSON value with every ``{% %}`` string in it (at any depth) replaced by its value.

    ``field`` names where the template sits, and grows with the keys walked into
    (``Arguments/FunctionName``), as the service names fields in its causes.
    """
    if is_expression(template):
        return evaluate(body(template), bindings, field)
    if isinstance(template, Mapping):
        return {key: resolve(value, bindings, f"{field}/{key}") for key, value in template.items()}
    if isinstance(template, list):
        return [resolve(item, bindings, field) for item in template]
    return template
