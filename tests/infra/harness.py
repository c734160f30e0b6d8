"""The harness of the infrastructure tests: Terraform run offline on throw-away copies of
infra/terraform (plus the asl/ it reads), and moto's server standing in for AWS.

Terraform never runs in the repository itself, so no `.terraform/`, lock file or state is left
behind. Providers come from the filesystem mirror installed on the machine (found by searching,
not by a hard-coded path) through a CLI config file written for the test session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import boto3
import pytest

from senso_cli.services import terraform as terraform_service

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_SOURCE = REPO_ROOT / "infra" / "terraform"
ASL_SOURCE = REPO_ROOT / "asl"
REGION = "us-east-1"

MIRROR_SEARCH_DEPTH = 6

# Every endpoint the stack's provider block accepts (see infra/terraform/providers.tf).
AWS_SERVICES = (
    "cloudwatch", "ec2", "ecr", "ecs", "events", "iam", "kms", "logs",
    "scheduler", "secretsmanager", "sfn", "sns", "ssm", "sts",
)  # fmt: skip


# --- Locating tools ---------------------------------------------------------------------------


def find_provider_mirror(
    root: Path = Path("/"), max_depth: int = MIRROR_SEARCH_DEPTH
) -> Path | None:
    """The mirror root; SENSO_TF_PROVIDER_MIRROR names it directly, else senso's own search
    (the one `senso validate` and `senso deploy` use) finds it."""
    explicit = os.environ.get("SENSO_TF_PROVIDER_MIRROR")
    if explicit:
        return Path(explicit)
    return terraform_service.find_provider_mirror(root, max_depth)


def require_executable(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH; {hint}")
    return path


# --- Terraform --------------------------------------------------------------------------------


@dataclass
class Terraform:
    """`terraform` run in one working directory with a fixed environment."""

    binary: str
    workdir: Path
    env: Mapping[str, str]
    timeout: float = 300

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args],
            cwd=self.workdir,
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json").stdout)
        return {name: value["value"] for name, value in raw.items()}

    def state_resources(self) -> list[dict[str, Any]]:
        """Managed resources of the local state, as {"type", "address", "values"}.

        Read from terraform.tfstate directly: `terraform show -json` would start the provider
        (several seconds) only to print the same attributes.
        """
        state = json.loads((self.workdir / "terraform.tfstate").read_text())
        found = []
        for resource in state["resources"]:
            if resource["mode"] != "managed":
                continue
            address = f"{resource['type']}.{resource['name']}"
            for instance in resource["instances"]:
                key = instance.get("index_key")
                suffix = "" if key is None else f"[{json.dumps(key)}]"
                found.append(
                    {"type": resource["type"], "address": address + suffix,
                     "values": instance["attributes"]}
                )  # fmt: skip
        return found


@dataclass
class TerraformSetup:
    """What every Terraform run of the session shares: the binary and its environment."""

    binary: str
    env: dict[str, str]
    copies_root: Path
    _count: int = field(default=0)

    def copy(self, name: str) -> Terraform:
        """A fresh copy of infra/terraform and asl/ laid out as in the repository, initialised."""
        self._count += 1
        root = self.copies_root / f"{self._count:02d}-{name}"
        ignore = shutil.ignore_patterns(
            ".terraform", "*.tfstate*", ".terraform.lock.hcl", "*.tfvars*"
        )
        shutil.copytree(TERRAFORM_SOURCE, root / "infra" / "terraform", ignore=ignore)
        shutil.copytree(ASL_SOURCE, root / "asl")
        terraform = Terraform(self.binary, root / "infra" / "terraform", self.env)
        terraform.run("init", "-backend=false", "-input=false", "-no-color")
        return terraform


# --- moto's server ----------------------------------------------------------------------------


def patch_moto_stepfunctions() -> None:
    """Fill the two Step Functions actions moto 5.2 does not implement.

    The AWS provider calls both for aws_sfn_state_machine; moto answers them with 500
    (NotImplemented) and the provider then retries for minutes.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: StepFunctionResponse) -> ActionResult:
        # moto: ValidateStateMachineDefinition is missing. The provider validates the definition
        # at plan time; answer "valid" (the ASL itself is checked by the project's ASL tests).
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    def list_state_machine_versions(self: StepFunctionResponse) -> ActionResult:
        # moto: ListStateMachineVersions is missing. The provider lists versions when it reads
        # and deletes a state machine; the stack never publishes one, so the list is empty.
        return ActionResult({"stateMachineVersions": []})

    for handler in (validate_state_machine_definition, list_state_machine_versions):
        if not hasattr(StepFunctionResponse, handler.__name__):
            setattr(StepFunctionResponse, handler.__name__, handler)


@dataclass
class MotoServer:
    url: str

    def client(self, service: str) -> Any:
        return cast(Any, boto3).client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


# --- The whole stack on moto --------------------------------------------------------------------


def _network(moto: MotoServer) -> tuple[str, list[str], str]:
    """A VPC with DNS hostnames (moto's awsvpc tasks need them), a subnet and a DB group."""
    ec2 = moto.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.42.1.0/24")["Subnet"]["SubnetId"]
    db_group = ec2.create_security_group(
        GroupName="senso-test-db", Description="stand-in database", VpcId=vpc_id
    )["GroupId"]
    return vpc_id, [subnet_id], db_group


CITEST_TABLES = {"credit_ledger": "billing.credit_entries"}


def apply_citest_stack(setup: TerraformSetup, moto: MotoServer) -> tuple[Terraform, str, list[str]]:
    """Apply the stack (environment `citest`, every optional part on) to moto's server.

    Returns the applied copy, the VPC id and the subnet ids; the caller destroys it.
    """
    vpc_id, subnet_ids, db_group = _network(moto)
    terraform = setup.copy("moto")
    tfvars = {
        "environment": "citest",
        "region": REGION,
        "aws_endpoints": {service: moto.url for service in AWS_SERVICES},
        "aws_skip_checks": True,
        "vpc_id": vpc_id,
        "subnet_ids": subnet_ids,
        "db_security_group_id": db_group,
        "db_cidr_blocks": ["10.42.200.0/24"],
        "image_tag": "0123abcd",
        "alarm_email": "alerts@example.com",
        # Turn every optional part on so apply, plan and the IAM checks see all of it.
        "dispatcher_schedule_enabled": True,
        "rollback_guard_enabled": True,
        "enable_alarms": True,
        "enable_tracing": True,
        "sfn_log_level": "ALL",
        "secret_recovery_window_days": 0,
        # The product's database with one renamed table, as an operator maps it.
        "database_mode": "external",
        "tables": CITEST_TABLES,
    }
    (terraform.workdir / "moto.auto.tfvars.json").write_text(json.dumps(tfvars, indent=2))
    terraform.run("apply", "-auto-approve", "-input=false", "-no-color")
    return terraform, vpc_id, subnet_ids
