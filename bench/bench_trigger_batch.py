"""Benchmark: trigger-batch starting 1,000 executions against moto (in-process `mock_aws`).

Reports executions per second and the client's own overhead per execution: the wall time
minus the time spent inside the StartExecution calls (boto3 + moto), measured at concurrency 1
where the two add up, then the throughput at the CLI's default concurrency of 8. The rate
limiter is set far above what moto can take, so it never waits here.

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

from senso_cli.aws.stepfunctions import StartResult, StepFunctions
from senso_cli.aws.throttle import RateLimiter
from senso_cli.services.aws_runs import SfnExecutions
from senso_cli.services.trigger_batch import trigger_aws

DEFINITION = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})


class TimedStepFunctions(StepFunctions):
    """Adds up the time spent inside StartExecution (boto3 serialisation + moto)."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.api_seconds = 0.0

    def start_execution(self, state_machine_arn: str, name: str, input: str) -> StartResult:
        started = time.perf_counter()
        try:
            return super().start_execution(state_machine_arn, name, input)
        finally:
            self.api_seconds += time.perf_counter() - started


def run(orgs: int, concurrency: int) -> dict[str, float]:
    with mock_aws():
        client = boto3.client("stepfunctions")
        machine = client.create_state_machine(
            name=f"bench-{concurrency}",
            definition=DEFINITION,
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        sfn = TimedStepFunctions(client)
        api = SfnExecutions(sfn, machine, limiter=RateLimiter(100_000, burst=10_000))
        refs = [str(uuid.uuid4()) for _ in range(orgs)]
        started = time.perf_counter()
        report = trigger_aws(api, refs, date(2025, 3, 3), db=None, concurrency=concurrency)
        wall = time.perf_counter() - started
        assert report.counts()["started"] == orgs, report.counts()
        api_seconds = sfn.api_seconds
        rerun_started = time.perf_counter()
        rerun = trigger_aws(api, refs[:100], date(2025, 3, 3), db=None, concurrency=concurrency)
        rerun_wall = time.perf_counter() - rerun_started
        assert rerun.counts()["already_running"] == 100
    result: dict[str, float] = {
        "concurrency": concurrency,
        "executions": orgs,
        "wall_s": round(wall, 3),
        "executions_per_s": round(orgs / wall, 1),
        "rerun_100_already_running_s": round(rerun_wall, 3),
    }
    if concurrency == 1:
        # Only sequential calls add up: inside StartExecution vs everything else senso does.
        result["api_ms_per_execution"] = round(api_seconds / orgs * 1000, 3)
        result["client_overhead_ms_per_execution"] = round((wall - api_seconds) / orgs * 1000, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    args = parser.parse_args()
    for concurrency in (1, 8):
        print(json.dumps(run(args.orgs, concurrency)))


if __name__ == "__main__":
    main()
