"""Local runtime overhead per state transition: a Pass-only machine of N transitions.

    python bench/bench_transitions.py [--transitions 10000]

The machine is a chain of Pass states (no tasks, no database), so the figure is the
interpreter's own cost per transition, history events included. Target: under 1 ms.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from senso_cli.sfn.interpreter import Interpreter


def chain(length: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Result": index, "ResultPath": "$.last"}
        if index == length - 1:
            state["End"] = True
        else:
            state["Next"] = f"S{index + 1}"
        states[f"S{index}"] = state
    return {"StartAt": "S0", "States": states}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transitions", type=int, default=10_000)
    args = parser.parse_args()
    events: list[object] = []
    interpreter = Interpreter(
        chain(args.transitions), invoke_task=lambda _: None, on_event=events.append
    )
    start = time.perf_counter()
    result = interpreter.run(
        {"seed": 1},
        execution_arn="arn:aws:states:local:000000000000:execution:bench:run",
        execution_name="run",
        state_machine_arn="arn:aws:states:local:000000000000:stateMachine:bench",
        state_machine_name="bench",
    )
    elapsed = time.perf_counter() - start
    assert result.status == "SUCCEEDED", result
    print(f"transitions:          {args.transitions}")
    print(f"history events:       {len(events)}")
    print(f"wall time:            {elapsed:.3f} s")
    print(f"per transition:       {elapsed / args.transitions * 1000:.4f} ms")


if __name__ == "__main__":
    main()
