"""pytest plugin: record every AWS API call the project's code makes, with the role it runs as.

Loaded with `-p tests.infra.iam_recorder` and SENSO_IAM_CALL_LOG=<file> (the IAM coverage test
does both for the test run it checks). It adds a botocore handler to BUILTIN_HANDLERS, so every
botocore session created afterwards, whoever creates it, emits `before-parameter-build` to it
once per API call (not per retry), with the operation model and the call's own parameters. Each
call made from `handlers/` or `senso_cli/` is appended to the log as one JSON line; calls from
test code are not.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

import pytest

from tests.infra.iam_calls import UNAUTHORISED_CALLS, RecordedCall, request_for, role_of

LOG_VARIABLE = "SENSO_IAM_CALL_LOG"
_lock = threading.Lock()


def _record(log_path: str, params: dict[str, Any], model: Any, **_: Any) -> None:
    found = role_of(sys._getframe(1))
    if found is None:
        return
    role, caller = found
    service = str(model.service_model.signing_name)
    operation = str(model.name)
    if (service, operation) in UNAUTHORISED_CALLS:
        return
    request = request_for(service, operation, params)
    action, resources, context = request or (f"{service}:{operation}", [], {})
    call = RecordedCall(role, service, operation, action, tuple(resources), context, caller)
    with _lock, open(log_path, "a", encoding="utf-8") as log:
        log.write(json.dumps(call.as_json()) + "\n")


def install(log_path: str) -> None:
    """Register the recorder for every botocore session created from now on."""
    from botocore import handlers

    def handler(**kwargs: Any) -> None:
        _record(log_path, **kwargs)

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build.*.*", handler))


def pytest_configure(config: pytest.Config) -> None:
    log_path = os.environ.get(LOG_VARIABLE)
    if log_path:
        install(log_path)
