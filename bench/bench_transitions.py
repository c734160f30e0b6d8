"""Local runtime overhead per state transition, side by side with moto's interpreter.

    python bench/bench_transitions.py [--transitions 10000] [--moto-transitions 300]

The machine is a chain of Pass states (no tasks, no database), so the figure is the
interpreter's own cost per transition, history events included. It is measured three ways:
senso's runtime on a JSONPath chain, on the same chain written in JSONata (an Assign and an
Output expression per state), and moto's interpreter (derived from LocalStack's, run in-process
with ``execute_state_machine``) on the JSONPath chain. Target: under 1 ms per transition and at
least 10x below moto.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from senso_cli.sfn.interpreter import Interpreter

ARN = "arn:aws:states:us-east-1:123456789012"


def chain(length: int, jsonata: bool = False) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for index in range(length):
        state: dict[str, Any] = {"Type": "Pass"}
        if jsonata:
            state["Assign"] = {"last": index}
            state["Output"] = "{% $merge([$states.input, {'last': " + str(index) + "}]) %}"
        else:
            state.update({"Result": index, "ResultPath": "$.last"})
        if index == length - 1:
            state["End"] = True
        else:
            state["Next"] = f"S{index + 1}"
        states[f"S{index}"] = state
    machine: dict[str, Any] = {"StartAt": "S0", "States": states}
    if jsonata:
        machine["QueryLanguage"] = "JSONata"
    return machine


def senso_per_transition(length: int, jsonata: bool) -> tuple[float, int]:
    events: list[object] = []
    interpreter = Interpreter(
        chain(length, jsonata), invoke_task=lambda _: None, on_event=events.append
    )
    start = time.perf_counter()
    result = interpreter.run(
        {"seed": 1},
        execution_arn=f"{ARN}:execution:bench:run",
        execution_name="run",
        state_machine_arn=f"{ARN}:stateMachine:bench",
        state_machine_name="bench",
    )
    elapsed = time.perf_counter() - start
    assert result.status == "SUCCEEDED", result
    return elapsed / length, len(events)


def moto_per_transition(length: int) -> float:
    import boto3
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):  # type: ignore[arg-type]
        client = boto3.client("stepfunctions", region_name="us-east-1")
        machine = client.create_state_machine(
            name="bench",
            definition=json.dumps(chain(length)),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        start = time.perf_counter()
        execution = client.start_execution(
            stateMachineArn=machine, name="run", input=json.dumps({"seed": 1})
        )["executionArn"]
        while client.describe_execution(executionArn=execution)["status"] == "RUNNING":
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        status = client.describe_execution(executionArn=execution)["status"]
        assert status == "SUCCEEDED", status
    return elapsed / length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=10_000)
    parser.add_argument("--moto-transitions", type=int, default=300)
    args = parser.parse_args()
    jsonpath, events = senso_per_transition(args.transitions, jsonata=False)
    jsonata, _ = senso_per_transition(args.transitions, jsonata=True)
    moto = moto_per_transition(args.moto_transitions)
    print(f"senso, JSONPath chain of {args.transitions}: {jsonpath * 1000:.4f} ms per transition")
    print(f"  ({events} history events)")
    print(f"senso, JSONata chain of {args.transitions}:  {jsonata * 1000:.4f} ms per transition")
    print(f"moto, JSONPath chain of {args.moto_transitions}: {moto * 1000:.4f} ms per transition")
    print(f"moto / senso: {moto / jsonpath:.0f}x (JSONPath), {moto / jsonata:.0f}x (JSONata)")


if __name__ == "__main__":
    main()
