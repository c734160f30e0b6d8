"""`senso validate`'s document checks accept JSONata machines and word their problems as AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from senso_cli.services.validate import asl_checks

TASK = "arn:aws:states:::ecs:runTask.sync"


def machine(**task_fields: Any) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": TASK,
                "Arguments": {"Cluster": "{% $states.input.cluster %}"},
                "TimeoutSeconds": "{% $states.input.timeout %}",
                "Assign": {"taskArn": "{% $states.result.TaskArn %}"},
                "Output": {"done": True},
                "Next": "Done",
                **task_fields,
            },
            "Done": {"Type": "Succeed"},
        },
    }


def checks(tmp_path: Path, definition: dict[str, Any]) -> dict[str, Any]:
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(definition))
    results, _ = asl_checks(path)
    return {result.name: result for result in results}


def test_a_jsonata_machine_passes_the_structure_and_limit_checks(tmp_path: Path) -> None:
    found = checks(tmp_path, machine())
    assert found["asl.structure"].status == "pass"
    assert found["asl.limits"].status == "pass"


def test_a_jsonpath_field_in_a_jsonata_state_fails_with_aws_wording(tmp_path: Path) -> None:
    found = checks(tmp_path, machine(ResultPath="$.r"))
    assert found["asl.structure"].status == "fail"
    assert found["asl.structure"].reason == (
        "SCHEMA_VALIDATION_FAILED: The field 'ResultPath' is not supported for JSONata states "
        "at /States/Work"
    )
