"""Compare the JSONata libraries for Python: correctness on jsonata-js's own test suite, speed.

    pip install jsonata-python   # only for this comparison; senso depends on jsonatapy alone
    python bench/bench_jsonata_libraries.py /path/to/jsonata-js-checkout

Correctness: every case of ``test/test-suite/groups`` of the reference implementation (expected
result, undefined result or error code), each with a 2 s limit. Speed: compile and evaluate the
developer guide's examples (``$states`` bound) many times.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import time
from collections.abc import Callable
from typing import Any

EXAMPLES = [
    "$states.input.title",
    "$sum($states.input.order.items.(price * qty))",
    "'Hello ' & $states.input.order.customer.name",
    "$states.input.users[status = 0].name",
    '{"total": $count($states.input.order.items), "first": $states.input.order.items[0]}',
    "$states.input.n > 5 ? 'big' : 'small'",
    "$map([1, 2, 3], function($v) { $v * 10 })",
]
STATES = {
    "input": {
        "title": "Doctor",
        "n": 2,
        "users": [{"name": "a", "status": 0}, {"name": "b", "status": 1}],
        "order": {"items": [{"price": 10, "qty": 2}], "customer": {"name": "María"}},
    }
}

Runner = Callable[[str, Any, dict[str, Any]], Any]


def run_jsonatapy(expr: str, data: Any, bindings: dict[str, Any]) -> Any:
    import jsonatapy

    text = jsonatapy.compile(expr).evaluate_json_or_none(
        None if data is None else json.dumps(data), bindings
    )
    return None if text is None else json.loads(text)


def run_jsonata_python(expr: str, data: Any, bindings: dict[str, Any]) -> Any:
    import jsonata  # type: ignore[import-not-found,import-untyped,unused-ignore]

    expression = jsonata.Jsonata(expr)
    for name, value in bindings.items():
        expression.assign(name, value)
    return expression.evaluate(data)


class _TimeoutError(Exception):
    pass


def _alarm(*_: Any) -> None:
    raise _TimeoutError


def suite(root: str) -> list[tuple[dict[str, Any], Any]]:
    base = os.path.join(root, "test", "test-suite")
    datasets = {
        os.path.basename(path)[:-5]: json.load(open(path))  # noqa: SIM115
        for path in glob.glob(f"{base}/datasets/*.json")
    }
    cases = []
    for path in sorted(glob.glob(f"{base}/groups/*/*.json")):
        loaded = json.load(open(path))  # noqa: SIM115
        for case in loaded if isinstance(loaded, list) else [loaded]:
            if "expr" in case and not case.get("timelimit") and not case.get("depth"):
                data = case.get("data", datasets.get(case.get("dataset", "")))
                cases.append((case, data))
    return cases


def passes(run: Runner, case: dict[str, Any], data: Any) -> bool:
    signal.setitimer(signal.ITIMER_REAL, 2)
    try:
        result, error = run(case["expr"], data, case.get("bindings") or {}), None
    except _TimeoutError:
        result, error = None, "TIMEOUT"
    except Exception as exc:  # noqa: BLE001 -- any library error is an answer to check
        error = str(getattr(exc, "code", None) or exc).split("Parse error: ")[-1]
        error = error.removeprefix("Invalid syntax: ")
        result = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if "code" in case:
        return error is not None and error.startswith(case["code"])
    if error is not None:
        return False
    if case.get("undefinedResult"):
        return result is None
    return "result" in case and result == case["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jsonata_js", help="a checkout of github.com/jsonata-js/jsonata")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    cases = suite(args.jsonata_js)
    for name, run in (("jsonatapy", run_jsonatapy), ("jsonata-python", run_jsonata_python)):
        passed = sum(passes(run, case, data) for case, data in cases)
        start = time.perf_counter()
        for _ in range(args.repeat):
            for expr in EXAMPLES:
                run(expr, None, {"states": STATES})
        per = (time.perf_counter() - start) / (args.repeat * len(EXAMPLES))
        print(
            f"{name:15} test suite {passed}/{len(cases)} ({100 * passed / len(cases):.1f}%), "
            f"compile+evaluate {per * 1000:.3f} ms per expression"
        )


if __name__ == "__main__":
    main()
