"""Offline checks of infra/terraform: formatting, `terraform validate`, and Checkov.

None of them needs AWS or moto; validate runs on an initialised copy (see conftest).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from handlers.db.tables import logical_names
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


def _evaluate_with(terraform: Terraform, **values: str) -> str:
    """What `terraform console` says with these variables: it runs the variables' validations
    without configuring the provider, so nothing reaches AWS (and it is faster than a plan)."""
    required = {"environment": "checks", "vpc_id": "vpc-1", "subnet_ids": '["subnet-1"]',
                "image_tag": "0123abcd"}  # fmt: skip
    pairs = [part for k, v in (required | values).items() for part in ("-var", f"{k}={v}")]
    result = subprocess.run(
        [terraform.binary, "console", "-no-color", *pairs],
        cwd=terraform.workdir, env=dict(terraform.env), input="var.database_mode\n",
        capture_output=True, text=True, timeout=terraform.timeout, check=False,
    )  # fmt: skip
    return " ".join(result.stderr.split())


def test_database_mode_and_table_map_are_validated(terraform_copy: Terraform) -> None:
    # One run (each costs seconds): Terraform reports every failed validation together.
    bad_map = '{ledger = "a", credit_ledger = "x; DROP TABLE orgs", orgs = "senso.orgs"}'
    errors = _evaluate_with(terraform_copy, database_mode="shared", tables=bad_map)
    assert errors.count("Invalid value for variable") == 4, errors[-4000:]
    for message in (
        "database_mode must be external, owned or auto",
        "every key must be a logical table name",
        "every value must be name or schema.name",
        "schema senso is senso's own",
    ):
        assert message in errors, errors[-4000:]
    good = '{credit_ledger = "billing.credit_entries", org_schedules = "org_schedule"}'
    assert _evaluate_with(terraform_copy, database_mode="external", tables=good) == ""


def test_the_table_map_keys_are_the_handlers_logical_names() -> None:
    """variables.tf lists the logical names for its validation; they must stay the handlers'."""
    text = (TERRAFORM_SOURCE / "variables.tf").read_text()
    block = text[text.index('variable "tables"') :]
    listed = re.search(r"contains\(\[(?P<names>.*?)\], key\)", block, re.S)
    assert listed is not None
    names = re.findall(r'"([a-z_]+)"', listed["names"])
    assert sorted(names) == sorted(logical_names())
