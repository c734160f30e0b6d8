"""Terraform as `senso validate` and `senso deploy` run it: found on PATH, given providers from
the machine's filesystem mirror when there is one, and (for checks) run on a throw-away copy of
the stack so no `.terraform/`, lock file or state is ever left in the repository.

The mirror is found by searching, never by a hard-coded path: the folder that holds
`registry.terraform.io/hashicorp/aws`, at most six levels below `/`. When one exists and the
environment's `TF_CLI_CONFIG_FILE` is unset or names a missing file, a CLI config with a
`filesystem_mirror` block is written next to the working copy and used instead.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handlers.errors import SensoError

TF_CLI_CONFIG_FILE = "TF_CLI_CONFIG_FILE"
PROVIDER_PATH_SUFFIX = ("registry.terraform.io", "hashicorp", "aws")
MIRROR_SEARCH_DEPTH = 6
# Pseudo and volatile filesystems a provider mirror never lives in.
MIRROR_SEARCH_SKIP = frozenset({"/proc", "/sys", "/dev", "/run", "/tmp"})  # noqa: S108 - skipped, not used
# What a copy of the stack leaves out: local state, caches and per-operator variable files.
COPY_IGNORE = (".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfvars*", "*.tfplan")
# What every run adds to the environment: no prompts, no update checks.
AUTOMATION_ENV = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}

_PLAN_LINE = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
_RESOURCE_LINE = re.compile(
    r"^\s*# (?P<address>\S+) (?P<action>will be created|will be updated in-place|"
    r"will be destroyed|must be replaced|will be read during apply)",
    re.MULTILINE,
)
_ACTIONS = {
    "will be created": "create",
    "will be updated in-place": "update",
    "will be destroyed": "delete",
    "must be replaced": "replace",
    "will be read during apply": "read",
}


class TerraformError(SensoError):
    """A terraform command exited non-zero; the message carries the end of its output."""

    def __init__(self, message: str, *, output: str = "", hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.output = output


@dataclass(frozen=True)
class RunResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return (self.stdout + "\n" + self.stderr).strip()


@dataclass(frozen=True)
class PlanSummary:
    """What `terraform plan` says it would do."""

    add: int
    change: int
    destroy: int
    resources: list[tuple[str, str]] = field(default_factory=list)  # (address, action)

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy)

    def as_dict(self) -> dict[str, Any]:
        return {
            "add": self.add,
            "change": self.change,
            "destroy": self.destroy,
            "resources": [{"address": a, "action": b} for a, b in self.resources],
        }


def parse_plan(stdout: str) -> PlanSummary:
    """Counts and changed resources from `terraform plan -no-color` output."""
    # Data sources read during apply change nothing; only managed resources are listed.
    resources = [
        (m["address"], _ACTIONS[m["action"]])
        for m in _RESOURCE_LINE.finditer(stdout)
        if _ACTIONS[m["action"]] != "read"
    ]
    match = _PLAN_LINE.search(stdout)
    if match is None:
        return PlanSummary(0, 0, 0, resources)
    add, change, destroy = (int(group) for group in match.groups())
    return PlanSummary(add, change, destroy, resources)


@dataclass
class Terraform:
    """`terraform` run in one working directory with a fixed environment."""

    binary: str
    workdir: Path
    env: Mapping[str, str]
    timeout: float = 1800

    def run(self, *args: str, check: bool = True, ok_codes: tuple[int, ...] = (0,)) -> RunResult:
        try:
            completed = subprocess.run(
                [self.binary, *args],
                cwd=self.workdir,
                env=dict(self.env),
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TerraformError(
                f"terraform {args[0]} did not finish within {self.timeout:.0f} s"
            ) from exc
        result = RunResult(tuple(args), completed.returncode, completed.stdout, completed.stderr)
        if check and result.returncode not in ok_codes:
            raise TerraformError(
                f"terraform {args[0]} exited {result.returncode}: {last_lines(result.output)}",
                output=result.output,
            )
        return result

    def init(self, *, backend: bool = True) -> RunResult:
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        return self.run(*args)

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json", "-no-color").stdout or "{}")
        return {name: value.get("value") for name, value in raw.items()}


def last_lines(text: str, count: int = 6) -> str:
    """The last non-blank lines of a tool's output, joined into one readable line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:]) or "(no output)"


def find_terraform() -> str | None:
    return shutil.which("terraform")


@functools.lru_cache(maxsize=4)
def find_provider_mirror(
    root: Path = Path("/"), max_depth: int = MIRROR_SEARCH_DEPTH
) -> Path | None:
    """The mirror root (the folder holding `registry.terraform.io`) of a hashicorp/aws mirror,
    searched breadth first down to `max_depth` levels, as `find / -maxdepth 6` would."""
    level = [root]
    for _ in range(max_depth):
        next_level: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False) or entry.path in MIRROR_SEARCH_SKIP:
                    continue
                path = Path(entry.path)
                if path.parts[-3:] == PROVIDER_PATH_SUFFIX:
                    return path.parents[2]
                next_level.append(path)
        level = next_level
    return None


def cli_config_text(mirror: Path) -> str:
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(mirror))}\n"
        '    include = ["registry.terraform.io/hashicorp/*"]\n'
        "  }\n"
        '  direct { exclude = ["registry.terraform.io/hashicorp/*"] }\n'
        "}\n"
    )


def terraform_env(
    base: Mapping[str, str], scratch: Path, *, mirror: Path | None = None
) -> dict[str, str]:
    """The environment terraform runs with: `base`, automation flags, and a mirror CLI config
    (written into `scratch`) when the base has no usable one and a mirror exists."""
    env = {**base, **AUTOMATION_ENV}
    configured = env.get(TF_CLI_CONFIG_FILE)
    if configured and Path(configured).is_file():
        return env
    mirror = mirror or find_provider_mirror()
    if mirror is None:
        env.pop(TF_CLI_CONFIG_FILE, None)
        return env
    scratch.mkdir(parents=True, exist_ok=True)
    config = scratch / "terraform.rc"
    config.write_text(cli_config_text(mirror))
    env[TF_CLI_CONFIG_FILE] = str(config)
    return env


def asl_dir_for(terraform_dir: Path) -> Path | None:
    """The asl/ folder the stack's templatefile reads (`../../asl` from infra/terraform)."""
    candidate = terraform_dir.resolve().parents[1] / "asl"
    return candidate if candidate.is_dir() else None


def copy_stack(terraform_dir: Path, dest: Path, *, asl_dir: Path | None = None) -> Path:
    """Copy the stack to `dest/infra/terraform` (and asl/ beside it, laid out as in the
    repository) without local state or caches; returns the copied terraform folder."""
    target = dest / "infra" / "terraform"
    shutil.copytree(terraform_dir, target, ignore=shutil.ignore_patterns(*COPY_IGNORE))
    source_asl = asl_dir or asl_dir_for(terraform_dir)
    if source_asl is not None:
        shutil.copytree(source_asl, dest / "asl")
    return target


@dataclass(frozen=True)
class StackProblems:
    """What `terraform fmt -check` and `init` + `validate` found, one line per problem."""

    unformatted: list[str]
    invalid: list[str]


def _diagnostics(validate: RunResult) -> list[str]:
    try:
        report = json.loads(validate.stdout)
    except ValueError:
        return [f"terraform validate failed: {last_lines(validate.output)}"]
    found = []
    for diag in report.get("diagnostics", []):
        where = diag.get("range") or {}
        place = f"{where.get('filename')}:{where.get('start', {}).get('line')}: " if where else ""
        if diag.get("severity", "error") == "error":
            found.append(f"{place}{diag.get('summary')} {diag.get('detail') or ''}".strip())
    if not report.get("valid") and not found:
        found = ["terraform validate reported the configuration invalid"]
    return found


def check_stack(terraform_dir: Path, base_env: Mapping[str, str]) -> StackProblems:
    """fmt -check, then init (no backend) and validate, offline on a throw-away copy."""
    binary = find_terraform()
    if binary is None:
        raise TerraformError("terraform is not on PATH", hint="install Terraform >= 1.6")
    with tempfile.TemporaryDirectory(prefix="senso-terraform-") as scratch:
        workdir = copy_stack(terraform_dir, Path(scratch) / "stack")
        runner = Terraform(binary, workdir, terraform_env(base_env, Path(scratch) / "cli"))
        fmt = runner.run("fmt", "-check", "-recursive", "-list=true", "-no-color", check=False)
        unformatted = [
            f"{name} is not formatted (run `terraform fmt`)"
            for name in fmt.stdout.split()
            if name.endswith(".tf")
        ]
        if fmt.returncode != 0 and not unformatted:
            unformatted = [f"terraform fmt -check failed: {last_lines(fmt.output)}"]
        init = runner.run("init", "-backend=false", "-input=false", "-no-color", check=False)
        if init.returncode != 0:
            return StackProblems(unformatted, [f"terraform init failed: {last_lines(init.output)}"])
        validate = runner.run("validate", "-json", "-no-color", check=False)
    return StackProblems(unformatted, _diagnostics(validate))
