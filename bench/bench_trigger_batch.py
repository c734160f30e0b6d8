"""Benchmark: trigger-batch handing 1,000 orgs to the dispatcher against moto (`mock_aws`).

What the CLI does on AWS: one DescribeExecution per org (is today's execution already there?)
and one StartExecution of the dispatcher state machine, whose Map then starts the orgs (moto
only records it). Reports orgs per second, the client's own overhead per org (the wall time
minus the time inside the Step Functions calls, boto3 + moto), the dispatcher input's size
against Step Functions' 256 KiB, and a re-run of 100 orgs already running. The rate limiter is
set far above what moto can take, so it never waits here.

    .venv/bin/python bench/bench_trigger_batch.py [--orgs 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from datetime import date
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
)

import boto3
from moto import mock_aws

from handlers.dispatching import dispatch_through_dispatcher
from senso_cli.aws.stepfunctions import Execution, StartResult, StepFunctions
from senso_cli.aws.throttle import RateLimiter
from senso_cli.services.aws_runs import SfnDispatcher

DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


class TimedStepFunctions(StepFunctions):
    """Adds up the time spent inside the calls (boto3 serialisation + moto)."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.api_seconds = 0.0

    def start_execution(self, state_machine_arn: str, name: str, input: str) -> StartResult:
        started = time.perf_counter()
        try:
            return super().start_execution(state_machine_arn, name, input)
        finally:
            self.api_seconds += time.perf_counter() - started

    def describe_execution(self, execution_arn: str) -> Execution:
        started = time.perf_counter()
        try:
            return super().describe_execution(execution_arn)
        finally:
            self.api_seconds += time.perf_counter() - started


def run(orgs: int) -> dict[str, float]:
    day = date(2025, 3, 3)
    with mock_aws():
        client = boto3.client("stepfunctions")
        role = "arn:aws:iam::123456789012:role/r"
        machine = client.create_state_machine(
            name="bench-org", definition=DEFINITION, roleArn=role
        )["stateMachineArn"]
        dispatcher = client.create_state_machine(
            name="bench-dispatcher", definition=DEFINITION, roleArn=role
        )["stateMachineArn"]
        sfn = TimedStepFunctions(client)
        api = SfnDispatcher(sfn, machine, dispatcher, limiter=RateLimiter(100_000, burst=10_000))
        refs = [str(uuid.uuid4()) for _ in range(orgs)]
        started = time.perf_counter()
        planned, dispatchers = dispatch_through_dispatcher(
            refs, day, api, max_concurrency=50, triggered_by="manual_batch"
        )
        wall = time.perf_counter() - started
        assert [o.outcome for o in planned] == ["started"] * orgs and len(dispatchers) == 1
        described = client.describe_execution(executionArn=dispatchers[0])
        input_bytes = len(described["input"].encode())
        api_seconds = sfn.api_seconds
        for org in planned[:100]:  # as the dispatcher would have started them
            client.start_execution(
                stateMachineArn=machine, name=str(org.execution_arn).rsplit(":", 1)[-1]
            )
        rerun_started = time.perf_counter()
        rerun, _ = dispatch_through_dispatcher(
            refs[:100], day, api, max_concurrency=50, triggered_by="manual_batch"
        )
        rerun_wall = time.perf_counter() - rerun_started
        assert [o.outcome for o in rerun] == ["already_running"] * 100
    return {
        "orgs": orgs,
        "wall_s": round(wall, 3),
        "orgs_per_s": round(orgs / wall, 1),
        "api_ms_per_org": round(api_seconds / orgs * 1000, 3),
        "client_overhead_ms_per_org": round((wall - api_seconds) / orgs * 1000, 3),
        "dispatcher_input_bytes": input_bytes,
        "rerun_100_already_running_s": round(rerun_wall, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(run(args.orgs)))


if __name__ == "__main__":
    main()
