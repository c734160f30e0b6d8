"""`senso deploy`: build and push the step-handler image, then terraform init / plan / apply with
that image tag, then refresh the environment from Terraform's outputs.

Phases run in order and each reports its start, its end and its duration through `on_event`;
nothing is printed here. Everything that could stop a deploy for a missing tool or missing
credentials is checked in `preflight` before any phase changes anything (exit 2). A failing
phase raises `DeployError` naming it and carrying the results of the phases before it; Terraform
applies only the plan it showed (a saved plan file), so there is no half-applied surprise.
`plan_only` runs init and plan and nothing else: no build, no push, no apply, no config write.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from handlers.errors import SensoError
from senso_cli.aws.errors import AwsError, translate_errors
from senso_cli.aws.session import AwsClients
from senso_cli.errors import ConfigurationError
from senso_cli.services import environments
from senso_cli.services import terraform as tf

Architecture = Literal["X86_64", "ARM64"]
PhaseStatus = Literal["started", "ok", "failed", "skipped"]
LOCAL_IMAGE = "senso-handlers"
ECR_RESOURCE = "aws_ecr_repository.handlers"
PLATFORMS = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}


@dataclass(frozen=True)
class DeployRequest:
    env_name: str
    terraform_dir: Path
    build_context: Path
    dockerfile: Path
    image_tag: str
    config_path: Path
    plan_only: bool = False
    skip_build: bool = False
    architecture: Architecture | None = None  # None: the stack's default (ARM64)
    var_file: Path | None = None
    base_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def build_architecture(self) -> Architecture:
        return self.architecture or "ARM64"


@dataclass
class PhaseResult:
    name: str
    status: PhaseStatus
    seconds: float = 0.0
    detail: str = ""


@dataclass
class DeployOutcome:
    phases: list[PhaseResult] = field(default_factory=list)
    plan: tf.PlanSummary | None = None
    image: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    applied: bool = False
    cancelled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "phases": [vars(p) for p in self.phases],
            "plan": self.plan.as_dict() if self.plan else None,
            "image": self.image,
            "applied": self.applied,
            "cancelled": self.cancelled,
            "environment_updated": bool(self.environment),
        }


class DeployError(SensoError):
    """A phase failed; `outcome` keeps what the earlier phases did."""

    def __init__(self, phase: str, message: str, outcome: DeployOutcome, hint: str | None = None):
        super().__init__(f"deploy failed in phase {phase!r}: {message}", hint=hint)
        self.phase = phase
        self.outcome = outcome


class ToolMissingError(ConfigurationError):
    """docker or terraform is not installed (exit 2, nothing was changed)."""


Events = Callable[[PhaseResult], None]
Confirm = Callable[[str, tf.PlanSummary | None], bool]


class Deployer:
    def __init__(
        self,
        request: DeployRequest,
        clients: AwsClients,
        *,
        on_event: Events = lambda _: None,
        confirm: Confirm = lambda _message, _plan: True,
        run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
    ) -> None:
        self.request = request
        self.clients = clients
        self.on_event = on_event
        self.confirm = confirm
        self._run = run
        self.outcome = DeployOutcome()
        self.docker: str | None = None
        self.terraform: tf.Terraform | None = None

    # -- preflight -------------------------------------------------------------------------

    def preflight(self, scratch: Path) -> None:
        """Tools, inputs and credentials; raises ConfigurationError (exit 2) before any change."""
        r = self.request
        if not r.plan_only and not r.skip_build:
            self.docker = shutil.which("docker", path=r.base_env.get("PATH"))
            if self.docker is None:
                raise ToolMissingError(
                    "docker is not on PATH; nothing was built, pushed or applied",
                    hint="install Docker (with buildx for ARM64), or pass --skip-build to deploy "
                    "an image already in ECR",
                )
        elif not r.plan_only:
            self.docker = shutil.which("docker", path=r.base_env.get("PATH"))
        binary = shutil.which("terraform", path=r.base_env.get("PATH"))
        if binary is None:
            raise ToolMissingError(
                "terraform is not on PATH; nothing was changed",
                hint="install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)",
            )
        if not (r.terraform_dir / "main.tf").exists() and not any(r.terraform_dir.glob("*.tf")):
            raise ConfigurationError(f"{r.terraform_dir} holds no Terraform configuration")
        if r.var_file is not None and not r.var_file.is_file():
            raise ConfigurationError(f"variable file {r.var_file} does not exist")
        if not r.plan_only and not r.skip_build and not r.dockerfile.is_file():
            raise ConfigurationError(f"Dockerfile {r.dockerfile} does not exist")
        environments.check_access(self.clients, r.env_name)
        try:
            with translate_errors("sts", "GetCallerIdentity"):
                self.clients.sts().get_caller_identity()
        except AwsError as exc:
            raise ConfigurationError(
                f"AWS credentials do not work: {exc.message}", hint=exc.hint
            ) from exc
        env = tf.terraform_env(r.base_env, scratch / "cli")
        self.terraform = tf.Terraform(binary, r.terraform_dir, env)

    # -- phases ----------------------------------------------------------------------------

    @contextmanager
    def phase(self, name: str) -> Iterator[PhaseResult]:
        result = PhaseResult(name, "started")
        self.on_event(result)
        started = time.monotonic()
        try:
            yield result
        except (SensoError, OSError) as exc:
            message = exc.message if isinstance(exc, SensoError) else str(exc)
            result.status, result.seconds = "failed", time.monotonic() - started
            result.detail = message
            self.outcome.phases.append(result)
            self.on_event(result)
            hint = exc.hint if isinstance(exc, SensoError) else None
            raise DeployError(name, message, self.outcome, hint=hint) from exc
        result.status = "ok" if result.status == "started" else result.status
        result.seconds = time.monotonic() - started
        self.outcome.phases.append(result)
        self.on_event(result)

    def _docker(self, *args: str, stdin: str | None = None) -> None:
        assert self.docker is not None
        completed = self._run(
            [self.docker, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=dict(self.request.base_env),
            check=False,
        )
        if completed.returncode != 0:
            output = (completed.stdout or "") + (completed.stderr or "")
            raise SensoError(
                f"docker {args[0]} exited {completed.returncode}: {tf.last_lines(output)}"
            )

    def _vars(self) -> list[str]:
        r = self.request
        args = ["-var", f"image_tag={r.image_tag}"]
        if r.architecture is not None:
            args += ["-var", f"architecture={r.architecture}"]
        if r.var_file is not None:
            args += [f"-var-file={r.var_file.resolve()}"]
        return args

    def build(self) -> None:
        r = self.request
        with self.phase("build") as result:
            local = f"{LOCAL_IMAGE}:{r.image_tag}"
            common = [
                "--file",
                str(r.dockerfile),
                "--tag",
                local,
                "--build-arg",
                f"REVISION={r.image_tag}",
                str(r.build_context),
            ]
            if r.build_architecture == "ARM64":
                self._docker("buildx", "build", "--platform", PLATFORMS["ARM64"], "--load", *common)
            else:
                self._docker("build", "--platform", PLATFORMS["X86_64"], *common)
            result.detail = f"{local} for {PLATFORMS[r.build_architecture]}"

    def registry(self) -> str:
        """The ECR repository URL; creates the repository first on a stack's first deploy."""
        assert self.terraform is not None
        with self.phase("registry") as result:
            url = self.terraform.outputs().get("ecr_repository_url")
            if not url:
                message = (
                    f"{ECR_RESOURCE} does not exist yet: create it now, before the image "
                    "is pushed and the rest of the stack is planned?"
                )
                if not self.confirm(message, None):
                    self.outcome.cancelled = True
                    raise SensoError("cancelled before the ECR repository was created")
                self.terraform.run(
                    "apply",
                    "-input=false",
                    "-no-color",
                    "-auto-approve",
                    f"-target={ECR_RESOURCE}",
                    *self._vars(),
                )
                url = self.terraform.outputs().get("ecr_repository_url")
                result.detail = "created "
            if not url:
                raise SensoError("Terraform has no ecr_repository_url output")
            result.detail += str(url)
            return str(url)

    def image_exists(self, repository_url: str) -> bool:
        """Whether the repository already holds this tag (ECR tags are IMMUTABLE here: pushing
        an existing tag fails with ImageTagAlreadyExistsException, so it is never rebuilt)."""
        name = repository_url.split("/", 1)[1]
        client = self.clients.ecr()
        try:
            with translate_errors("ecr", "DescribeImages"):
                client.describe_images(
                    repositoryName=name, imageIds=[{"imageTag": self.request.image_tag}]
                )
        except AwsError as exc:
            if exc.code in ("ImageNotFoundException", "ImageNotFound"):
                return False
            raise
        return True

    def skip_image(self, remote: str) -> None:
        for name in ("build", "push"):
            skipped = PhaseResult(name, "skipped", detail=f"{remote} is already in ECR")
            self.outcome.phases.append(skipped)
            self.on_event(skipped)

    def push(self, repository_url: str) -> None:
        r = self.request
        with self.phase("push") as result:
            with translate_errors("ecr", "GetAuthorizationToken"):
                data = self.clients.ecr().get_authorization_token()["authorizationData"][0]
            username, _, password = (
                base64.b64decode(data["authorizationToken"]).decode().partition(":")
            )
            registry = data.get("proxyEndpoint") or "https://" + repository_url.split("/")[0]
            self._docker(
                "login", "--username", username, "--password-stdin", registry, stdin=password
            )
            remote = f"{repository_url}:{r.image_tag}"
            self._docker("tag", f"{LOCAL_IMAGE}:{r.image_tag}", remote)
            self._docker("push", remote)
            self.outcome.image = remote
            result.detail = remote

    def plan(self, plan_file: Path | None) -> tf.PlanSummary:
        assert self.terraform is not None
        with self.phase("plan") as result:
            out = [f"-out={plan_file}"] if plan_file is not None else []
            found = self.terraform.run(
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                *out,
                *self._vars(),
                ok_codes=(0, 2),
            )
            summary = tf.parse_plan(found.stdout)
            self.outcome.plan = summary
            result.detail = (
                f"{summary.add} to add, {summary.change} to change, {summary.destroy} to destroy"
            )
            return summary

    def run(self) -> DeployOutcome:
        r = self.request
        with tempfile.TemporaryDirectory(prefix="senso-deploy-") as tmp:
            scratch = Path(tmp)
            self.preflight(scratch)
            assert self.terraform is not None
            with self.phase("init"):
                self.terraform.init()
            if r.plan_only:
                self.plan(None)
                return self.outcome
            url = self.registry()
            remote = f"{url}:{r.image_tag}"
            if r.skip_build:
                self.outcome.image = remote
            elif self.image_exists(url):
                # Redeploying a commit: its image is already there, and the tag is immutable.
                self.skip_image(remote)
                self.outcome.image = remote
            else:
                self.build()
                self.push(url)
            plan_file = scratch / "senso.tfplan"
            summary = self.plan(plan_file)
            if summary.has_changes:
                if not self.confirm(f"apply these changes to {r.env_name!r}?", summary):
                    self.outcome.cancelled = True
                    return self.outcome
                with self.phase("apply"):
                    self.terraform.run("apply", "-input=false", "-no-color", str(plan_file))
                    self.outcome.applied = True
            with self.phase("environment") as result:
                run = functools.partial(subprocess.run, env=dict(self.terraform.env))
                self.outcome.environment = environments.import_terraform(
                    r.config_path, r.env_name, r.terraform_dir, run=run
                )
                result.detail = f"[environments.{r.env_name}] in {r.config_path}"
        return self.outcome


def default_image_tag(checkout: Path, run: Callable[..., Any] = subprocess.run) -> str | None:
    """The checkout's commit (12 hex digits), read-only.

    With uncommitted changes to tracked files the tag is `<commit>-dirty-<hash of the diff>`:
    a different dirty tree gets a different tag (an IMMUTABLE repository refuses to reuse one),
    and deploying the same dirty tree again finds its image already pushed.
    """
    git = shutil.which("git")
    if git is None:
        return None
    head = run(
        [git, "-C", str(checkout), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode != 0 or not head.stdout.strip():
        return None
    status = run(
        [git, "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = str(head.stdout).strip()
    if status.returncode != 0 or not status.stdout.strip():
        return commit
    diff = run(
        [git, "-C", str(checkout), "diff", "HEAD", "--binary"],
        capture_output=True,
        check=False,
    )
    changes = diff.stdout if isinstance(diff.stdout, bytes) else str(diff.stdout).encode()
    return f"{commit}-dirty-{hashlib.sha256(changes).hexdigest()[:10]}"
