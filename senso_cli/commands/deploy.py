"""`senso deploy`: image build and push, terraform plan/apply, environment refresh."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from handlers.errors import InvalidInputError
from senso_cli.aws.session import AwsClients
from senso_cli.context import state
from senso_cli.output import err, out, print_json
from senso_cli.services import deploy as service
from senso_cli.services import terraform as tf

CHECKOUT = Path(__file__).resolve().parents[2]
MAX_LISTED = 50


def _show_event(event: service.PhaseResult) -> None:
    if event.status == "started":
        err.print(f"[bold]>[/] {event.name} ...")
    else:
        marks = {"ok": "[green]ok[/]", "skipped": "[yellow]skipped[/]"}
        mark = marks.get(event.status, "[bold red]FAILED[/]")
        err.print(f"  {mark} {event.name} ({event.seconds:.1f}s) {event.detail}")


def _show_plan(plan: tf.PlanSummary, console: Console = out) -> None:
    console.print(
        f"plan: {plan.add} to add, {plan.change} to change, {plan.destroy} to destroy"
        + ("" if plan.has_changes else " (no changes)")
    )
    for address, action in plan.resources[:MAX_LISTED]:
        console.print(f"  {action:<8} {address}")
    if len(plan.resources) > MAX_LISTED:
        console.print(f"  ... and {len(plan.resources) - MAX_LISTED} more")


def _confirmer(yes: bool) -> service.Confirm:
    def confirm(message: str, plan: tf.PlanSummary | None) -> bool:
        if plan is not None:
            _show_plan(plan, err)
        if yes:
            return True
        try:
            return typer.confirm(message, default=False, err=True)
        except typer.Abort:
            return False

    return confirm


def deploy(
    ctx: typer.Context,
    env: Annotated[str, typer.Option("--env", help="Environment to deploy.", show_default=False)],
    plan: Annotated[
        bool, typer.Option("--plan", help="Show what would change; change nothing.")
    ] = False,
    image_tag: Annotated[
        str | None, typer.Option("--image-tag", help="Image tag (default: the git commit).")
    ] = None,
    skip_build: Annotated[
        bool, typer.Option("--skip-build", help="Deploy an image already pushed to ECR.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Apply without asking.")] = False,
    architecture: Annotated[
        str | None,
        typer.Option("--architecture", help="X86_64 or ARM64 (default: the stack's, ARM64)."),
    ] = None,
    terraform_dir: Annotated[
        Path | None, typer.Option("--terraform-dir", help="Stack folder (infra/terraform).")
    ] = None,
    var_file: Annotated[
        Path | None,
        typer.Option(
            "--var-file",
            help="Terraform variables (default: `ENV.tfvars` or `ENV.tfvars.json` in the "
            "stack folder, when present).",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Build and push the step-handler image, then terraform init / plan / apply with its tag,
    then refresh the environment in the config file from Terraform's outputs.

    Each phase prints its progress and duration. --plan runs only init and plan: nothing is
    built, pushed, applied or written. Missing docker or terraform, or unusable AWS
    credentials, stop the deploy with exit 2 before anything changes; a failing phase exits 1,
    names the phase and keeps what the earlier phases did.
    """
    if architecture is not None and architecture not in service.PLATFORMS:
        raise InvalidInputError(f"--architecture must be X86_64 or ARM64, not {architecture!r}")
    loaded = state(ctx).loaded
    environment = loaded.settings.environments.get(env)
    directory = (terraform_dir or CHECKOUT / "infra" / "terraform").resolve()
    if var_file is None:
        candidates = [directory / f"{env}.tfvars", directory / f"{env}.tfvars.json"]
        var_file = next((path for path in candidates if path.is_file()), None)
    tag = image_tag or service.default_image_tag(CHECKOUT)
    if not tag:
        raise InvalidInputError(
            "no image tag: this is not a git checkout", hint="pass --image-tag TAG"
        )
    request = service.DeployRequest(
        env_name=env,
        terraform_dir=directory,
        build_context=CHECKOUT,
        dockerfile=CHECKOUT / "Dockerfile",
        image_tag=tag,
        config_path=loaded.config_path,
        plan_only=plan,
        skip_build=skip_build,
        architecture=architecture,  # type: ignore[arg-type]  # checked above
        var_file=var_file,
        base_env=dict(os.environ),  # docker and terraform see the operator's environment
    )
    clients = AwsClients(
        region=environment.region if environment else None,
        profile=environment.profile if environment else None,
        endpoint_url=environment.endpoint_url if environment else None,
    )
    deployer = service.Deployer(request, clients, on_event=_show_event, confirm=_confirmer(yes))
    outcome = deployer.run()
    if json_output:
        print_json(outcome.as_dict())
        return
    if plan and outcome.plan is not None:
        _show_plan(outcome.plan)
        out.print("--plan: nothing was built, pushed or applied")
    elif outcome.cancelled:
        out.print("cancelled: nothing was applied")
    else:
        total = sum(phase.seconds for phase in outcome.phases)
        what = "applied" if outcome.applied else "no infrastructure changes"
        out.print(f"deployed {outcome.image} to {env!r} ({what}, {total:.0f}s)")
