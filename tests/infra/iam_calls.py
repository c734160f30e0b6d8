"""Which IAM request each AWS API call is, and under which of the stack's roles it runs.

`request_for` turns one botocore call (service, operation, parameters) into the IAM action, the
resource ARN AWS authorises it on and the condition keys it carries, following the Service
Authorization Reference ("Actions, resources, and condition keys for ..."). An operation with
no rule here is reported, never guessed: add its rule when code starts to call it.

`role_of` attributes a call to a role by the code that made it: the innermost frame in
`handlers/` runs in the step-handler container (the task role), one in `senso_cli/` runs on an
operator's machine (the operator policy). Calls made by test code itself (fixtures creating
resources in moto) belong to no role and are not recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLE_DIRS = {"handlers": "task", "senso_cli": "operator"}
# Placeholders for identifiers the parameters do not carry; the coverage test rebinds every ARN
# to the applied stack's own region, account and resource names anyway.
REGION = "us-east-1"
ACCOUNT = "123456789012"
# A Step Functions task token does not name its state machine. AWS authorises SendTask* of a
# callback task against the state machine that issued the token (see iam.tf); recorded as this
# placeholder, which the coverage test rebinds to the stack's state machine.
TOKEN_STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:issuer-of-task-token"
# Calls that need no permission at all (AWS documents them as always allowed).
UNAUTHORISED_CALLS = frozenset({("sts", "GetCallerIdentity")})


@dataclass(frozen=True)
class RecordedCall:
    role: str  # "task" or "operator"
    service: str  # IAM service prefix: "states", "ssm", ...
    operation: str  # "DescribeExecution"
    action: str  # "states:DescribeExecution"
    resources: tuple[str, ...]  # every ARN the call is authorised on ("*" when unscopable)
    context: dict[str, str] = field(default_factory=dict)
    caller: str = ""  # file:line of the code that made the call

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _ssm_parameter(params: Mapping[str, Any]) -> list[str]:
    name = str(params["Name"])
    if name.startswith("arn:"):
        return [name]
    return [_arn("ssm", "parameter" + (name if name.startswith("/") else f"/{name}"))]


def _log_group(name_key: str) -> Callable[[Mapping[str, Any]], list[str]]:
    def rule(params: Mapping[str, Any]) -> list[str]:
        if "logGroupIdentifier" in params:
            ident = str(params["logGroupIdentifier"])
            return [ident if ident.startswith("arn:") else _arn("logs", f"log-group:{ident}")]
        return [_arn("logs", f"log-group:{params[name_key]}")]

    return rule


def _live_tail(params: Mapping[str, Any]) -> list[str]:
    return [
        g if g.startswith("arn:") else _arn("logs", f"log-group:{g}")
        for g in params["logGroupIdentifiers"]
    ]


def _secret(params: Mapping[str, Any]) -> list[str]:
    ident = str(params["SecretId"])
    return [ident if ident.startswith("arn:") else _arn("secretsmanager", f"secret:{ident}")]


def _schedule(params: Mapping[str, Any]) -> list[str]:
    group = params.get("GroupName", "default")
    return [_arn("scheduler", f"schedule/{group}/{params['Name']}")]


def _ecs_tasks(params: Mapping[str, Any]) -> list[str]:
    cluster = str(params.get("cluster", "default")).rsplit("/", 1)[-1]
    tasks = params["tasks"] if "tasks" in params else [params["task"]]
    return [t if t.startswith("arn:") else _arn("ecs", f"task/{cluster}/{t}") for t in tasks]


def _key(name: str) -> Callable[[Mapping[str, Any]], list[str]]:
    return lambda params: [str(params[name])]


def _star(params: Mapping[str, Any]) -> list[str]:
    return ["*"]


def _token_issuer(params: Mapping[str, Any]) -> list[str]:
    return [TOKEN_STATE_MACHINE]


# (IAM service prefix, operation) -> the ARNs the action is authorised on.
RESOURCE_RULES: dict[tuple[str, str], Callable[[Mapping[str, Any]], list[str]]] = {
    ("states", "StartExecution"): _key("stateMachineArn"),
    ("states", "ListExecutions"): _key("stateMachineArn"),
    ("states", "DescribeStateMachine"): _key("stateMachineArn"),
    ("states", "UpdateStateMachine"): _key("stateMachineArn"),
    ("states", "CreateStateMachine"): lambda p: [_arn("states", f"stateMachine:{p['name']}")],
    ("states", "DescribeExecution"): _key("executionArn"),
    ("states", "StopExecution"): _key("executionArn"),
    ("states", "RedriveExecution"): _key("executionArn"),
    ("states", "GetExecutionHistory"): _key("executionArn"),
    ("states", "SendTaskSuccess"): _token_issuer,
    ("states", "SendTaskFailure"): _token_issuer,
    ("states", "SendTaskHeartbeat"): _token_issuer,
    ("ssm", "GetParameter"): _ssm_parameter,
    ("ssm", "PutParameter"): _ssm_parameter,
    ("logs", "FilterLogEvents"): _log_group("logGroupName"),
    ("logs", "GetLogEvents"): _log_group("logGroupName"),
    ("logs", "DescribeLogStreams"): _log_group("logGroupName"),
    ("logs", "StartLiveTail"): _live_tail,
    ("secretsmanager", "GetSecretValue"): _secret,
    ("secretsmanager", "DescribeSecret"): _secret,
    ("secretsmanager", "PutSecretValue"): _secret,
    ("scheduler", "GetSchedule"): _schedule,
    ("scheduler", "UpdateSchedule"): _schedule,
    ("ecs", "DescribeTasks"): _ecs_tasks,
    ("ecs", "StopTask"): _ecs_tasks,
    ("ecs", "RunTask"): _key("taskDefinition"),
    ("cloudwatch", "PutMetricData"): _star,
    ("ecr", "GetAuthorizationToken"): _star,
    ("ecr", "DescribeImages"): lambda p: [_arn("ecr", f"repository/{p['repositoryName']}")],
    ("logs", "DescribeLogGroups"): _star,
    ("scheduler", "ListSchedules"): _star,
    ("secretsmanager", "ListSecrets"): _star,
    ("ssm", "GetParameterHistory"): _ssm_parameter,
}


def _context(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Condition keys the stack's policies test (ecs:cluster on RunTask and task actions)."""
    if service == "ecs" and "cluster" in params:
        return {"ecs:cluster": str(params["cluster"])}
    return {}


def request_for(
    service: str, operation: str, params: Mapping[str, Any]
) -> tuple[str, list[str], dict[str, str]] | None:
    """(action, resources, context) of one call, or None when no rule covers it."""
    rule = RESOURCE_RULES.get((service, operation))
    if rule is None:
        return None
    return f"{service}:{operation}", rule(params), _context(service, operation, params)


def role_of(frame: FrameType | None) -> tuple[str, str] | None:
    """(role, "path:line") of the innermost project frame that made the call.

    Code in `handlers/` only runs in the step-handler container, so its calls are the task
    role's. Code in `senso_cli/` counts as the operator's only when a command
    (`senso_cli/commands/`) is on the stack: a test calling a client wrapper directly says
    nothing about what an operator's command needs.
    """
    innermost: tuple[str, str] | None = None
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        frame_line = frame.f_lineno
        frame = frame.f_back
        try:
            relative = path.resolve().relative_to(REPO_ROOT)
        except ValueError:
            continue
        parts = relative.parts
        if parts[:2] == ("tests", "infra") and relative.name.startswith("iam_"):
            continue  # the recorder's own frames
        if parts and parts[0] == "tests":
            break  # test code: fixtures, stubs, assertions, and what they call directly
        role = ROLE_DIRS.get(parts[0]) if parts else None
        if role is None:
            continue
        if innermost is None:
            innermost = (role, f"{relative}:{frame_line}")
        if innermost[0] == "task" or parts[:2] == ("senso_cli", "commands"):
            return innermost
    return None


def current_role() -> tuple[str, str] | None:
    return role_of(sys._getframe(1))
