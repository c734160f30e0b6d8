"""Engine behaviour beyond the table: backoff, time limits, abort, redrive, history, concurrency."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sfn_cases import LAMBDA, lambda_table, machine, one, pass_branch, task

from senso_cli.sfn import (
    DefinitionError,
    ExecutionResult,
    HistoryEvent,
    Interpreter,
    StatesError,
    TaskInvocation,
    TaskInvoker,
)

ARN = "arn:aws:states:eu-west-1:123456789012"


def run(
    definition: dict[str, Any],
    payload: Any = None,
    invoker: TaskInvoker | None = None,
    **options: Any,
) -> ExecutionResult:
    run_options = {key: options.pop(key) for key in ("start_at", "redrive_count") if key in options}
    interpreter = Interpreter(
        definition, invoke_task=invoker or lambda_table(), **{"time_scale": 0, **options}
    )
    return interpreter.run(
        {} if payload is None else payload,
        execution_arn=f"{ARN}:execution:m:e",
        execution_name="e",
        state_machine_arn=f"{ARN}:stateMachine:m",
        state_machine_name="m",
        **run_options,
    )


def always_failing(error: str = "Boom") -> TaskInvoker:
    def invoke(invocation: TaskInvocation) -> Any:
        raise StatesError(error, "always")

    return invoke


# --- Retry and backoff ---


def test_backoff_grows_by_rate_and_is_capped_by_max_delay() -> None:
    slept: list[float] = []
    retry = {
        "ErrorEquals": ["Boom"],
        "IntervalSeconds": 2,
        "BackoffRate": 3,
        "MaxAttempts": 5,
        "MaxDelaySeconds": 10,
    }
    result = run(
        task("x", Retry=[retry]), invoker=always_failing(), time_scale=1, sleep=slept.append
    )
    assert result.error == "Boom"
    assert slept == [2, 6, 10, 10, 10]


def test_defaults_are_one_second_rate_two_and_three_attempts() -> None:
    slept: list[float] = []
    run(
        task("x", Retry=[{"ErrorEquals": ["States.ALL"]}]),
        invoker=always_failing(),
        time_scale=1,
        sleep=slept.append,
    )
    assert slept == [1, 2, 4]


def test_full_jitter_draws_each_wait_uniformly_below_the_backoff() -> None:
    slept: list[float] = []
    retry = {
        "ErrorEquals": ["Boom"],
        "IntervalSeconds": 2,
        "BackoffRate": 2,
        "MaxAttempts": 4,
        "MaxDelaySeconds": 5,
        "JitterStrategy": "FULL",
    }
    run(
        task("x", Retry=[retry]),
        invoker=always_failing(),
        time_scale=1,
        sleep=slept.append,
        random=random.Random(7),
    )
    caps = [2, 4, 5, 5]
    assert all(0 <= wait <= cap for wait, cap in zip(slept, caps, strict=True))
    expected_rng = random.Random(7)
    assert slept == [expected_rng.uniform(0, cap) for cap in caps]


def test_time_scale_multiplies_retry_intervals_and_waits() -> None:
    slept: list[float] = []
    definition = machine(
        {
            "W": {"Type": "Wait", "Seconds": 10, "Next": "T"},
            "T": {
                "Type": "Task",
                "Resource": LAMBDA + "x",
                "End": True,
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 4}],
            },
        }
    )
    run(definition, invoker=always_failing(), time_scale=0.5, sleep=slept.append)
    assert slept == [5.0, 2.0]


def test_first_matching_retrier_is_used_even_when_exhausted() -> None:
    slept: list[float] = []
    retriers = [
        {"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 9},
    ]
    run(task("x", Retry=retriers), invoker=always_failing(), time_scale=1, sleep=slept.append)
    assert slept == [1]


def test_retry_count_is_in_the_context_object() -> None:
    seen: list[int] = []

    def invoke(invocation: TaskInvocation) -> Any:
        seen.append(invocation.context["State"]["RetryCount"])
        if len(seen) < 3:
            raise StatesError("Boom")
        return "ok"

    result = run(task("x", Retry=[{"ErrorEquals": ["Boom"]}]), invoker=invoke)
    assert (result.status, result.output, seen) == ("SUCCEEDED", "ok", [0, 1, 2])


def test_timeout_retrier_matches_heartbeat_timeouts_and_task_failed_does_not() -> None:
    def invoke(invocation: TaskInvocation) -> Any:
        raise StatesError("States.HeartbeatTimeout", "late")

    caught = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": LAMBDA + "x",
                "End": True,
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
                    {"ErrorEquals": ["States.Timeout"], "Next": "Right"},
                ],
            },
            "Wrong": {"Type": "Pass", "Result": "wrong", "End": True},
            "Right": {"Type": "Pass", "Result": "right", "End": True},
        }
    )
    assert run(caught, invoker=invoke).output == "right"


# --- Task time limits (real time, not scaled) ---


def waits_for_cancel(record: list[TaskInvocation]) -> TaskInvoker:
    def invoke(invocation: TaskInvocation) -> Any:
        record.append(invocation)
        invocation.cancelled.wait(5)
        return "too late"

    return invoke


def test_task_timeout_fails_with_states_timeout_and_cancels_the_work() -> None:
    invocations: list[TaskInvocation] = []
    events: list[HistoryEvent] = []
    started = time.monotonic()
    result = run(
        task("x", TimeoutSeconds=0.2), invoker=waits_for_cancel(invocations), on_event=events.append
    )
    assert time.monotonic() - started < 2
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert invocations[0].cancelled.is_set()
    assert invocations[0].timeout_seconds == 0.2
    timed_out = [e for e in events if e["type"] == "TaskTimedOut"]
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"


def test_timeout_seconds_path_reads_the_input() -> None:
    invocations: list[TaskInvocation] = []
    result = run(
        task("x", TimeoutSecondsPath="$.limit"),
        {"limit": 0.1},
        invoker=waits_for_cancel(invocations),
    )
    assert result.error == "States.Timeout"


def test_missing_heartbeat_fails_with_heartbeat_timeout() -> None:
    invocations: list[TaskInvocation] = []
    result = run(task("x", HeartbeatSeconds=0.15), invoker=waits_for_cancel(invocations))
    assert (result.status, result.error) == ("FAILED", "States.HeartbeatTimeout")
    assert invocations[0].cancelled.is_set()


def test_heartbeats_keep_a_task_alive_past_its_heartbeat_interval() -> None:
    def invoke(invocation: TaskInvocation) -> Any:
        for _ in range(6):
            time.sleep(0.05)
            invocation.heartbeat()
        return "done"

    result = run(task("x", HeartbeatSeconds=0.15, TimeoutSeconds=5), invoker=invoke)
    assert (result.status, result.output) == ("SUCCEEDED", "done")


def test_wait_for_task_token_hands_the_token_to_the_invoker_and_the_parameters() -> None:
    seen: list[TaskInvocation] = []

    def invoke(invocation: TaskInvocation) -> Any:
        seen.append(invocation)
        return invocation.parameters

    definition = one(
        "Task",
        Resource="arn:aws:states:::ecs:runTask.waitForTaskToken",
        Parameters={"Token.$": "$$.Task.Token"},
    )
    result = run(definition, invoker=invoke)
    assert seen[0].task_token
    assert result.output == {"Token": seen[0].task_token}


def test_plain_tasks_get_no_token() -> None:
    seen: list[TaskInvocation] = []
    run(task("x"), invoker=lambda invocation: seen.append(invocation))
    assert seen[0].task_token is None


# --- Execution-level limits, abort and redrive ---


def test_machine_timeout_ends_the_execution_timed_out() -> None:
    invocations: list[TaskInvocation] = []
    events: list[HistoryEvent] = []
    definition = {**task("x"), "TimeoutSeconds": 0.2}
    result = run(definition, invoker=waits_for_cancel(invocations), on_event=events.append)
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert invocations[0].cancelled.is_set()
    assert events[-1]["type"] == "ExecutionTimedOut"


def test_abort_stops_a_running_execution_and_cancels_its_task() -> None:
    invocations: list[TaskInvocation] = []
    started = threading.Event()
    events: list[HistoryEvent] = []

    def invoke(invocation: TaskInvocation) -> Any:
        invocations.append(invocation)
        started.set()
        invocation.cancelled.wait(5)
        return None

    interpreter = Interpreter(task("x"), invoke_task=invoke, time_scale=0, on_event=events.append)
    results: list[ExecutionResult] = []
    runner = threading.Thread(
        target=lambda: results.append(
            interpreter.run(
                {},
                execution_arn="e",
                execution_name="e",
                state_machine_arn="m",
                state_machine_name="m",
            )
        )
    )
    runner.start()
    assert started.wait(5)
    interpreter.abort()
    runner.join(5)
    assert results[0].status == "ABORTED"
    assert invocations[0].cancelled.is_set()
    assert events[-1]["type"] == "ExecutionAborted"


def test_redrive_restarts_at_the_failed_state_with_its_input() -> None:
    calls: list[Any] = []

    def flaky_second_step(invocation: TaskInvocation) -> Any:
        calls.append(invocation.parameters)
        if len(calls) == 1:
            raise StatesError("Transient", "first try")
        return {"redrives": invocation.context["Execution"]["RedriveCount"]}

    definition = machine(
        {
            "Prepare": {
                "Type": "Pass",
                "Result": "prepared",
                "ResultPath": "$.step",
                "Next": "Work",
            },
            "Work": {"Type": "Task", "Resource": LAMBDA + "work", "End": True},
        }
    )
    first = run(definition, {"org": "acme"}, invoker=flaky_second_step)
    assert (first.status, first.failed_state) == ("FAILED", "Work")
    assert first.failed_state_input == {"org": "acme", "step": "prepared"}

    events: list[HistoryEvent] = []
    second = run(
        definition,
        first.failed_state_input,
        invoker=flaky_second_step,
        start_at=first.failed_state,
        redrive_count=1,
        on_event=events.append,
    )
    assert (second.status, second.output) == ("SUCCEEDED", {"redrives": 1})
    assert calls == [first.failed_state_input] * 2
    assert [e["type"] for e in events][:2] == ["ExecutionRedriven", "TaskStateEntered"]
    assert events[0]["executionRedrivenEventDetails"] == {"redriveCount": 1}


def test_start_at_must_name_a_top_level_state() -> None:
    with pytest.raises(ValueError, match="nowhere"):
        run(one(), start_at="nowhere")


def test_invalid_definitions_are_refused_with_every_problem() -> None:
    with pytest.raises(DefinitionError) as raised:
        Interpreter(
            {"StartAt": "A", "States": {"A": {"Type": "Teleport"}, "B": {"Type": "Pass"}}},
            invoke_task=lambda_table(),
        )
    assert len(raised.value.problems) >= 2


# --- History events ---


def test_history_events_have_the_aws_shape_and_order() -> None:
    moments = iter(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=n) for n in range(100))
    events: list[HistoryEvent] = []
    definition = machine(
        {
            "Prep": {"Type": "Pass", "Result": {"who": "you"}, "Next": "Greet"},
            "Greet": {
                "Type": "Task",
                "Resource": LAMBDA + "greet",
                "TimeoutSeconds": 30,
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$", "StringEquals": "Hello, you!", "Next": "Done"}],
            },
            "Done": {"Type": "Succeed"},
        }
    )
    result = run(definition, {"a": 1}, on_event=events.append, clock=lambda: next(moments))
    assert result.status == "SUCCEEDED"
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["previousEventId"] for e in events] == list(range(len(events)))
    assert all(isinstance(e["timestamp"], datetime) for e in events)
    by_type = {e["type"]: e for e in events}
    assert by_type["ExecutionStarted"]["executionStartedEventDetails"]["input"] == '{"a":1}'
    assert by_type["TaskStateEntered"]["stateEnteredEventDetails"]["name"] == "Greet"
    assert by_type["TaskScheduled"]["taskScheduledEventDetails"] == {
        "resourceType": "lambda",
        "resource": LAMBDA + "greet",
        "region": "eu-west-1",
        "parameters": '{"who":"you"}',
        "timeoutInSeconds": 30,
    }
    assert by_type["TaskSucceeded"]["taskSucceededEventDetails"]["output"] == '"Hello, you!"'
    assert (
        by_type["ExecutionSucceeded"]["executionSucceededEventDetails"]["output"] == '"Hello, you!"'
    )


def test_a_failed_task_records_task_failed_then_execution_failed() -> None:
    events: list[HistoryEvent] = []
    result = run(
        one("Task", Resource="arn:aws:states:::ecs:runTask.sync"),
        invoker=always_failing("Ecs.Failure"),
        on_event=events.append,
    )
    assert result.failed_state == "S"
    failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
    assert (failed["resourceType"], failed["resource"], failed["error"]) == (
        "ecs",
        "runTask.sync",
        "Ecs.Failure",
    )
    assert events[-1]["executionFailedEventDetails"] == {"error": "Ecs.Failure", "cause": "always"}


def test_map_and_parallel_events() -> None:
    events: list[HistoryEvent] = []
    definition = machine(
        {
            "P": {"Type": "Parallel", "Branches": [pass_branch()], "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": pass_branch(), "End": True},
        }
    )
    run(definition, [1, 2], on_event=events.append)
    types = [e["type"] for e in events]
    for expected in (
        "ParallelStateEntered",
        "ParallelStateStarted",
        "ParallelStateSucceeded",
        "ParallelStateExited",
        "MapStateEntered",
        "MapStateStarted",
        "MapIterationStarted",
        "MapIterationSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
    ):
        assert expected in types
    started = next(e for e in events if e["type"] == "MapStateStarted")
    assert started["mapStateStartedEventDetails"] == {
        "length": 1
    }  # the Parallel's output: [[1, 2]]
    iteration = next(e for e in events if e["type"] == "MapIterationStarted")
    assert iteration["mapIterationStartedEventDetails"] == {"name": "M", "index": 0}


# --- Concurrency ---


def test_map_honours_max_concurrency() -> None:
    lock = threading.Lock()
    running = [0]
    peak = [0]

    def invoke(invocation: TaskInvocation) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return invocation.parameters

    definition = one(
        "Map",
        MaxConcurrency=3,
        ItemProcessor={
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": LAMBDA + "x", "End": True}},
        },
    )
    result = run(definition, list(range(12)), invoker=invoke)
    assert result.output == list(range(12))
    assert 2 <= peak[0] <= 3


def test_event_ids_stay_unique_and_increasing_under_concurrency() -> None:
    events: list[HistoryEvent] = []
    definition = one(
        "Map",
        ItemProcessor={
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": LAMBDA + "echo", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": 1, "End": True},
            },
        },
    )
    result = run(definition, list(range(30)), on_event=events.append)
    assert result.status == "SUCCEEDED"
    ids = [e["id"] for e in events]
    assert ids == list(range(1, len(events) + 1))
    assert all(e["previousEventId"] < e["id"] for e in events)
    assert sum(e["type"] == "TaskSucceeded" for e in events) == 30


def test_a_failing_branch_cancels_its_siblings() -> None:
    invocations: list[TaskInvocation] = []
    definition = one(
        "Parallel",
        Branches=[
            {
                "StartAt": "Slow",
                "States": {"Slow": {"Type": "Task", "Resource": LAMBDA + "slow", "End": True}},
            },
            {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Bad", "Cause": "c"}}},
        ],
    )
    started = time.monotonic()
    result = run(definition, invoker=waits_for_cancel(invocations))
    assert (result.status, result.error, result.cause) == ("FAILED", "Bad", "c")
    assert time.monotonic() - started < 2
    assert all(invocation.cancelled.is_set() for invocation in invocations)
