"""Offline checks of infra/terraform: formatting, `terraform validate`, and Checkov.

None of them needs AWS or moto; validate runs on an initialised copy (see conftest).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.infra.checkov import CheckovUnavailableError, provide_checkov
from tests.infra.harness import TERRAFORM_SOURCE, Terraform, TerraformSetup

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def test_terraform_is_formatted(terraform_setup: TerraformSetup) -> None:
    # fmt -check only reads, so it runs on the sources themselves.
    result = Terraform(terraform_setup.binary, TERRAFORM_SOURCE, terraform_setup.env).run(
        "fmt", "-check", "-recursive", "-diff", "-no-color", check=False
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive`:\n{result.stdout}"


def test_terraform_validates_offline(terraform_copy: Terraform) -> None:
    result = terraform_copy.run("validate", "-no-color")
    assert "Success" in result.stdout


def test_checkov_finds_nothing(tmp_path: Path) -> None:
    try:
        checkov = provide_checkov()
    except CheckovUnavailableError as exc:  # no package index reachable: checkov cannot exist here
        pytest.skip(f"checkov cannot be installed here: {exc}")
    # A clean copy: no .terraform/ or state from someone's local run gets scanned.
    copy = tmp_path / "terraform"
    shutil.copytree(
        TERRAFORM_SOURCE, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*")
    )
    result = subprocess.run(
        [checkov, "-d", str(copy), "--quiet", "--compact", "--skip-download",
         "--framework", "terraform"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = f"{result.stdout[-8000:]}\n{result.stderr[-2000:]}"
    assert result.returncode == 0, f"checkov failed:\n{report}"
    assert "Failed checks: 0" in result.stdout or result.stdout.strip() == "", result.stdout


def test_every_checkov_skip_says_why() -> None:
    skips = []
    for path in sorted(TERRAFORM_SOURCE.glob("*.tf")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = SKIP_COMMENT.search(line)
            if match:
                reason = (match["reason"] or "").strip()
                skips.append((f"{path.name}:{number}", match["check"], reason))
    assert skips, "expected the documented skips (key policies, rotation, ...)"
    unexplained = [(where, check) for where, check, reason in skips if len(reason) < 20]
    assert unexplained == []
