"""Find the state machine document: in the installed package, else in the checkout's `asl/`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from handlers.errors import InvalidInputError

WORKFLOW_FILE = "org-evaluation-workflow.json"
STATE_MACHINE_NAME = "org-evaluation-workflow"

ACCOUNT = "000000000000"
REGION = "local"


def state_machine_arn(name: str = STATE_MACHINE_NAME) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def execution_arn(name: str, machine: str = STATE_MACHINE_NAME) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine}:{name}"


def asl_path(name: str = WORKFLOW_FILE) -> Path:
    packaged = Path(str(resources.files("handlers"))) / "asl" / name
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[2] / "asl" / name


def load_definition(path: Path | None = None) -> dict[str, Any]:
    target = path or asl_path()
    try:
        document = json.loads(target.read_text())
    except OSError as exc:
        raise InvalidInputError(f"cannot read {target}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{target} is not JSON: {exc.msg} at line {exc.lineno}",
            hint="an ASL document is a JSON object with StartAt and States",
        ) from exc
    if not isinstance(document, dict):
        raise InvalidInputError(f"{target} is not a JSON object")
    return document
