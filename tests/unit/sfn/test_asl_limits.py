"""`senso validate`'s run-time limits of the state machine: ECS overrides under 8,192
characters in the worst case, and an execution timeout longer than its states' worst case."""

from __future__ import annotations

import copy
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
    env = definition["States"]["MarkBatchFailed"]["Parameters"]["Overrides"][
        "ContainerOverrides"
    ][0]["Environment"]
    env.append({"Name": "SENSO_CAUSE", "Value.$": "$.error.Cause"})
    env[0]["Value.$"] = "States.JsonToString($)"
    problems, _ = overrides_problems(definition)
    assert len(problems) == 2 and all("no bound on its size" in p for p in problems)


def test_the_execution_timeout_must_outlast_every_retry() -> None:
    definition = _definition()
    assert timeout_problems(definition)[0] == []
    worst, _ = worst_case_seconds(definition)
    assert worst is not None
    # Six 300 s tasks and the 1,800 s matrix, each up to four attempts, plus backoffs.
    assert worst == 5 * (4 * 300 + 14) + (4 * 1800 + 14) + (4 * 300 + 14)
    short = copy.deepcopy(definition)
    short["TimeoutSeconds"] = 7200
    (problem,), _ = timeout_problems(short)
    assert "7200" in problem and "14498" in problem


def test_validate_reports_both_checks(tmp_path: Path) -> None:
    results, _ = asl_checks(ASL)
    by_name = {r.name: r for r in results}
    assert by_name["asl.overrides"].status == "pass"
    assert by_name["asl.timeout"].status == "pass"
    broken = _definition()
    broken["TimeoutSeconds"] = 7200
    path = tmp_path / "asl.json"
    path.write_text(json.dumps(broken))
    results, _ = asl_checks(path)
    assert {r.name: r.status for r in results}["asl.timeout"] == "fail"
