"""`senso validate`'s run-time limits of the state machine: ECS overrides under 8,192
characters in the worst case, and an execution timeout longer than its states' worst case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from senso_cli.services.asl_limits import (
    MAX_OVERRIDES_CHARS,
    overrides_problems,
    timeout_problems,
    worst_case_seconds,
)
from senso_cli.services.validate import asl_checks

ASL = Path(__file__).resolve().parents[3] / "asl" / "org-evaluation-workflow.json"


def _definition() -> dict[str, Any]:
    return json.loads(ASL.read_text())


def test_the_shipped_overrides_stay_under_the_ecs_limit_in_the_worst_case() -> None:
    problems, largest = overrides_problems(_definition())
    assert problems == []
    # A 2,048-character token, the largest execution input and a 256-character error name.
    assert 2048 < largest < MAX_OVERRIDES_CHARS


def test_passing_the_whole_state_or_a_cause_is_unbounded() -> None:
    definition = _definition()
    env = definition["States"]["MarkBatchFailed"]["Parameters"]["Overrides"]["ContainerOverrides"][
        0
    ]["Environment"]
    env.append({"Name": "SENSO_CAUSE", "Value.$": "$.error.Cause"})
    env[0]["Value.$"] = "States.JsonToString($)"
    problems, _ = overrides_problems(definition)
    assert len(problems) == 2 and all("no bound on its size" in p for p in problems)


def _task(timeout: int, nxt: str | None, retry: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": timeout}
    state["Retry"] = retry
    state["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}]
    if nxt:
        state["Next"] = nxt
    else:
        state["End"] = True
    return state


def test_the_execution_timeout_must_outlast_every_retry() -> None:
    transient = {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 3}
    launch = {
        "ErrorEquals": ["AmazonECS.Unknown", "ECS.ThrottlingException"],
        "IntervalSeconds": 5,
        "MaxAttempts": 6,
        "MaxDelaySeconds": 60,
    }
    machine = {
        "StartAt": "A",
        "TimeoutSeconds": 3600,
        "States": {
            "A": _task(300, "B", [transient, launch]),
            "B": _task(1800, None, [transient]),
            "Failed": {"Type": "Task", "Resource": "arn:x", "TimeoutSeconds": 300, "End": True},
        },
    }
    worst, _ = worst_case_seconds(machine)
    # A: four attempts that may each run 300 s, six launch failures that cost only their waits
    # (5, 10, 20, 40, 60, 60 s) plus 2 + 4 + 8 s; then B's four 1,800 s attempts and its waits;
    # then B's catch into Failed (300 s).
    assert worst == (4 * 300 + 14 + 195) + (4 * 1800 + 14) + 300
    (problem,), _ = timeout_problems(machine)
    assert "3600" in problem and f"{worst:.0f}" in problem
    assert timeout_problems(machine | {"TimeoutSeconds": worst + 1})[0] == []
    assert timeout_problems(_definition())[0] == []  # the shipped machine


def test_validate_reports_both_checks(tmp_path: Path) -> None:
    results, _ = asl_checks(ASL)
    by_name = {r.name: r for r in results}
    assert by_name["asl.overrides"].status == "pass"
    assert by_name["asl.timeout"].status == "pass"
    broken = _definition()
    broken["TimeoutSeconds"] = 3600
    path = tmp_path / "asl.json"
    path.write_text(json.dumps(broken))
    results, _ = asl_checks(path)
    assert {r.name: r.status for r in results}["asl.timeout"] == "fail"


def test_the_container_is_told_the_tasks_heartbeat_seconds() -> None:
    definition = _definition()
    definition["States"]["RunQuestionMatrixWithEvaluation"]["HeartbeatSeconds"] = 60
    problems, _ = overrides_problems(definition)
    assert problems == [
        "Task 'RunQuestionMatrixWithEvaluation': HeartbeatSeconds 60 but SENSO_HEARTBEAT_SECONDS "
        "is 120: the container would beat at the wrong pace"
    ]
