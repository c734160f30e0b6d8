"""The whole stack applied to moto's server: apply, a second plan with no changes, the IAM
policies as AWS would receive them, and destroy.

One apply per module (it is the slow part); the tests read the applied stack, and the fixture's
teardown destroys it and checks that nothing is left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.db.tables import Tables
from senso_cli.app import app
from senso_cli.aws.scheduler import Schedules
from senso_cli.settings import load_settings
from tests.functional.awsmode.conftest import seed
from tests.infra import runbook_on_stack as book
from tests.infra.harness import (
    CITEST_TABLES,
    REGION,
    MotoServer,
    Terraform,
    TerraformSetup,
    apply_citest_stack,
)
from tests.infra.iam_rules import iam_violations, key_policy_violations

pytestmark = pytest.mark.slow


@dataclass
class AppliedStack:
    terraform: Terraform
    outputs: dict[str, Any]
    state: list[dict[str, Any]]
    vpc_id: str
    subnet_ids: list[str]

    def resources(self, resource_type: str) -> list[dict[str, Any]]:
        return [r for r in self.state if r["type"] == resource_type]


@pytest.fixture(scope="module")
def applied_stack(
    terraform_setup: TerraformSetup, moto_server: MotoServer
) -> Iterator[AppliedStack]:
    terraform, vpc_id, subnet_ids = apply_citest_stack(terraform_setup, moto_server)
    try:
        yield AppliedStack(
            terraform=terraform,
            outputs=terraform.outputs(),
            state=terraform.state_resources(),
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
        )
    finally:
        terraform.run("destroy", "-auto-approve", "-input=false", "-no-color")
        assert terraform.run("state", "list", check=False).stdout.strip() == ""
        sfn = moto_server.client("stepfunctions")
        assert sfn.list_state_machines()["stateMachines"] == []


def test_second_plan_has_no_changes(applied_stack: AppliedStack) -> None:
    result = applied_stack.terraform.run(
        "plan", "-detailed-exitcode", "-input=false", "-no-color", check=False
    )
    report = result.stdout[-8000:] + result.stderr
    assert result.returncode == 0, f"plan after apply is not empty:\n{report}"


def test_outputs_describe_the_stack(applied_stack: AppliedStack, moto_server: MotoServer) -> None:
    outputs = applied_stack.outputs
    assert set(outputs) == {
        "region", "state_machine_arn", "cluster_arn", "task_definition_arn", "handler_log_group",
        "state_machine_log_group", "ecr_repository_url", "secret_arn", "rollout_parameter_name",
        "dispatcher_schedule_name", "rollback_schedule_name", "sns_topic_arn", "subnet_ids",
        "security_group_id", "container_name", "dispatcher_state_machine_arn",
    }  # fmt: skip
    assert outputs["region"] == REGION
    assert outputs["subnet_ids"] == applied_stack.subnet_ids
    assert outputs["rollout_parameter_name"] == "/senso/citest/rollout"

    ssm = moto_server.client("ssm")
    rollout = ssm.get_parameter(Name=outputs["rollout_parameter_name"])["Parameter"]
    assert json.loads(rollout["Value"]) == {"percent": 0}


def test_state_machine_runs_the_task_definition_it_was_given(
    applied_stack: AppliedStack, moto_server: MotoServer
) -> None:
    outputs = applied_stack.outputs
    described = moto_server.client("stepfunctions").describe_state_machine(
        stateMachineArn=outputs["state_machine_arn"]
    )
    definition = json.loads(described["definition"])
    tasks = [s for s in definition["States"].values() if s["Type"] == "Task"]
    assert tasks
    for state in tasks:
        params = state["Parameters"]
        assert params["Cluster"] == outputs["cluster_arn"]
        assert params["TaskDefinition"] == outputs["task_definition_arn"]
        vpc = params["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert vpc["Subnets"] == applied_stack.subnet_ids
        assert vpc["SecurityGroups"] == [outputs["security_group_id"]]
        assert params["Overrides"]["ContainerOverrides"][0]["Name"] == outputs["container_name"]
    logging = described["loggingConfiguration"]
    assert logging["level"] == "ALL"
    # The provider leaves includeExecutionData out of the request when it is false.
    assert logging.get("includeExecutionData", False) is False
    assert described["tracingConfiguration"] == {"enabled": True}


def test_task_definition_is_hardened(applied_stack: AppliedStack, moto_server: MotoServer) -> None:
    ecs = moto_server.client("ecs")
    task = ecs.describe_task_definition(taskDefinition=applied_stack.outputs["task_definition_arn"])
    definition = task["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "10001:10001"
    assert container["memory"] == int(definition["memory"])
    assert (
        container["logConfiguration"]["options"]["awslogs-group"]
        == (applied_stack.outputs["handler_log_group"])
    )
    secret_arn = applied_stack.outputs["secret_arn"]
    assert container["secrets"], "provider credentials must come from Secrets Manager"
    for secret in container["secrets"]:
        assert secret["valueFrom"] == f"{secret_arn}:{secret['name']}::"
    assert all("KEY" not in e["name"] and "URL" not in e["name"] for e in container["environment"])


def test_the_task_gets_the_database_mode_and_table_map(
    applied_stack: AppliedStack, moto_server: MotoServer
) -> None:
    ecs = moto_server.client("ecs")
    task = ecs.describe_task_definition(taskDefinition=applied_stack.outputs["task_definition_arn"])
    (container,) = task["taskDefinition"]["containerDefinitions"]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert environment["SENSO_DATABASE_MODE"] == "external"
    # The handlers read the map exactly as the CLI does, into the tables every step uses.
    settings = load_settings(
        environ={
            "SENSO_HOME": "/nonexistent",
            "SENSO_DATABASE_MODE": environment["SENSO_DATABASE_MODE"],
            "SENSO_TABLES_JSON": environment["SENSO_TABLES_JSON"],
        }
    ).settings
    assert settings.database_mode == "external"
    tables = Tables.from_mapping(settings.tables)
    assert tables.credit_ledger == CITEST_TABLES["credit_ledger"]
    assert tables.question_runs == "question_runs"


def test_schedules_run_dispatch_and_are_wired_to_the_task(
    applied_stack: AppliedStack, moto_server: MotoServer
) -> None:
    scheduler = moto_server.client("scheduler")
    dispatcher = scheduler.get_schedule(Name=applied_stack.outputs["dispatcher_schedule_name"])
    assert dispatcher["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert dispatcher["ScheduleExpressionTimezone"] == "UTC"
    target = dispatcher["Target"]
    assert target["Arn"] == applied_stack.outputs["cluster_arn"]
    assert (
        target["EcsParameters"]["TaskDefinitionArn"] == applied_stack.outputs["task_definition_arn"]
    )
    overrides = json.loads(target["Input"])
    assert overrides["containerOverrides"] == [
        {"name": applied_stack.outputs["container_name"], "command": ["Dispatch"]}
    ]
    guard = scheduler.get_schedule(Name=applied_stack.outputs["rollback_schedule_name"])
    assert json.loads(guard["Target"]["Input"])["containerOverrides"][0]["command"] == [
        "RollbackGuard"
    ]


def test_iam_policies_are_least_privilege(applied_stack: AppliedStack) -> None:
    documents: dict[str, dict[str, Any]] = {}
    for policy in applied_stack.resources("aws_iam_role_policy"):
        documents[policy["address"]] = json.loads(policy["values"]["policy"])
    for policy in applied_stack.resources("aws_iam_policy"):
        documents[policy["address"]] = json.loads(policy["values"]["policy"])
    for role in applied_stack.resources("aws_iam_role"):
        documents[f"{role['address']} (trust)"] = json.loads(role["values"]["assume_role_policy"])
    assert len(documents) >= 8

    problems = [p for name, doc in documents.items() for p in iam_violations(name, doc)]
    for key in applied_stack.resources("aws_kms_key"):
        problems += key_policy_violations(key["address"], json.loads(key["values"]["policy"]))
    assert problems == []


@pytest.mark.parametrize(
    "policy_address", ["aws_iam_role_policy.state_machine", "aws_iam_role_policy.scheduler"]
)
def test_only_the_step_handler_family_may_be_run(
    applied_stack: AppliedStack, policy_address: str
) -> None:
    (policy,) = [
        p for p in applied_stack.resources("aws_iam_role_policy") if p["address"] == policy_address
    ]
    statements = json.loads(policy["values"]["policy"])["Statement"]
    run_task = [s for s in statements if "ecs:RunTask" in _as_list(s["Action"])]
    assert len(run_task) == 1
    # Any revision of this one family (in-flight executions may name the previous one).
    family = applied_stack.outputs["task_definition_arn"].rsplit(":", 1)[0]
    assert _as_list(run_task[0]["Resource"]) == [f"{family}:*"]
    cluster_condition = run_task[0]["Condition"]["ArnEquals"]["ecs:cluster"]
    assert cluster_condition == applied_stack.outputs["cluster_arn"]
    pass_role = [s for s in statements if "iam:PassRole" in _as_list(s["Action"])]
    assert len(pass_role) == 1
    assert len(_as_list(pass_role[0]["Resource"])) == 2
    passed_to = pass_role[0]["Condition"]["StringEquals"]["iam:PassedToService"]
    assert passed_to == "ecs-tasks.amazonaws.com"


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_the_ecr_lifecycle_never_expires_a_tagged_image(applied_stack: AppliedStack) -> None:
    """Task definition revisions stay registered and name their image by tag; ECR's lifecycle
    rules do not look at task definitions, so only untagged images may be selected."""
    (policy,) = applied_stack.resources("aws_ecr_lifecycle_policy")
    rules = json.loads(policy["values"]["policy"])["rules"]
    assert rules
    assert all(rule["selection"]["tagStatus"] == "untagged" for rule in rules), rules


def test_stopped_step_tasks_reach_the_task_stopped_state_machine(
    applied_stack: AppliedStack, moto_server: MotoServer
) -> None:
    events = moto_server.client("events")
    (rule,) = [r for r in applied_stack.resources("aws_cloudwatch_event_rule")
               if r["values"]["name"].endswith("-task-stopped")]  # fmt: skip
    pattern = json.loads(rule["values"]["event_pattern"])
    assert pattern["source"] == ["aws.ecs"]
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    assert pattern["detail"]["clusterArn"] == [applied_stack.outputs["cluster_arn"]]
    (target,) = events.list_targets_by_rule(Rule=rule["values"]["name"])["Targets"]
    machines = moto_server.client("stepfunctions").list_state_machines()["stateMachines"]
    (machine,) = [m for m in machines if m["name"].endswith("-task-stopped")]
    assert target["Arn"] == machine["stateMachineArn"]
    (role_policy,) = [p for p in applied_stack.resources("aws_iam_role_policy")
                      if p["address"] == "aws_iam_role_policy.task_stopped"]  # fmt: skip
    statements = json.loads(role_policy["values"]["policy"])["Statement"]
    (fail,) = [s for s in statements if s.get("Sid") == "FailTheWaitingStep"]
    assert fail["Resource"] == applied_stack.outputs["state_machine_arn"]


def test_an_ended_execution_runs_finalize_execution(
    applied_stack: AppliedStack, moto_server: MotoServer
) -> None:
    """TIMED_OUT / ABORTED / FAILED executions of this state machine start the step-handler
    task with FinalizeExecution, given the execution's ARN and status (infra finalize.tf)."""
    (rule,) = [
        r
        for r in applied_stack.resources("aws_cloudwatch_event_rule")
        if r["address"] == "aws_cloudwatch_event_rule.execution_ended"
    ]
    pattern = json.loads(rule["values"]["event_pattern"])
    assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [applied_stack.outputs["state_machine_arn"]]
    events = moto_server.client("events")
    (target,) = events.list_targets_by_rule(Rule=rule["values"]["name"])["Targets"]
    assert (
        target["EcsParameters"]["TaskDefinitionArn"] == applied_stack.outputs["task_definition_arn"]
    )
    transformer = target["InputTransformer"]
    assert transformer["InputPathsMap"] == {
        "arn": "$.detail.executionArn",
        "status": "$.detail.status",
    }
    # What EventBridge would send RunTask as `overrides` for one event.
    rendered = (
        transformer["InputTemplate"]
        .replace("<arn>", json.dumps("arn:aws:states:x:1:execution:m:n"))
        .replace("<status>", json.dumps("TIMED_OUT"))
    )
    (container,) = json.loads(rendered)["containerOverrides"]
    assert container["command"] == ["FinalizeExecution"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env == {
        "SENSO_EXECUTION_ID": "arn:aws:states:x:1:execution:m:n",
        "SENSO_EXECUTION_STATUS": "TIMED_OUT",
    }


def test_failed_batches_and_cells_have_metrics_and_alarms(applied_stack: AppliedStack) -> None:
    filters = {
        f["values"]["metric_transformation"][0]["name"]: f["values"]
        for f in applied_stack.resources("aws_cloudwatch_log_metric_filter")
    }
    # The fields the step handlers log (handlers/contract.py metric_fields).
    assert filters["FailedBatches"]["pattern"] == "{ $.batches_failed > 0 }"
    assert filters["FailedCells"]["pattern"] == "{ $.failed_cells > 0 }"
    alarms = {
        a["values"]["metric_name"]: a["values"]
        for a in applied_stack.resources("aws_cloudwatch_metric_alarm")
    }
    assert {"FailedBatches", "FailedCells", "ExecutionsFailed"} <= set(alarms)
    assert alarms["FailedBatches"]["namespace"] == "Senso"


# Last in this module: it changes the rollout parameter and the schedules of the shared stack.
def test_the_runbook_runs_on_the_freshly_applied_stack(
    applied_stack: AppliedStack,
    moto_server: MotoServer,
    cli_env: Database,
    senso_home: Path,
    terraform_setup: TerraformSetup,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """docs/migration-runbook.md, followed on the stack as Terraform left it (rollout parameter
    `{"percent": 0}`): preconditions, a rollback drill at 0%, the shadow week, compare, 10%,
    50% and 100% each through the gate on pairs gathered during the stage before, and the
    rollback drill. See tests/infra/runbook_on_stack.py for what stands in for the terminal."""
    outputs = applied_stack.outputs
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "SENSO_ENV"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TF_CLI_CONFIG_FILE"):
        monkeypatch.setenv(name, terraform_setup.env[name])
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.chdir(tmp_path)  # the reports' --output files land here
    # What the operator sets by hand (runbook, precondition 1), plus a gate that one afternoon
    # can satisfy: one pair on one day per stage (the rehearsal's settings).
    # An AWS environment simulates nothing unless told to (operator guide, providers): the
    # operator's side (Inngest stand-in) and the tasks' side are both told, as real providers
    # would be configured for both.
    providers = '[providers]\ndefault_provider = "simulated"\n\n'
    task_home = tmp_path / "task-home"
    task_home.mkdir()
    (task_home / "config.toml").write_text(providers)
    senso_home.mkdir(parents=True)
    (senso_home / "config.toml").write_text(
        providers + "[rollout]\ngate_min_pairs = 1\ngate_min_days = 1\n\n"
        f'[environments.prod]\nendpoint_url = "{moto_server.url}"\n'
        f'database_url = "{cli_env.url}"\n'
    )
    seed(cli_env, "demo")
    samples = [["harbor"], ["lakeside"], ["summit"]]  # one new org a stage: pairs of that stage
    for sample in samples:
        seed(cli_env, sample[0])

    runner = CliRunner()
    said: list[tuple[str, int, str]] = []
    sfn, scheduler = moto_server.client("stepfunctions"), moto_server.client("scheduler")

    def senso(line: str, org: str | None = None) -> str:
        result = runner.invoke(app, book.command_words(line, org))
        said.append((line, result.exit_code, result.output))
        if result.exit_code != 0:
            pytest.fail(f"`{line}` exited {result.exit_code}:\n{result.output}")
        return result.output

    def night() -> None:
        ended = book.play_step_functions(sfn, outputs["state_machine_arn"], cli_env, task_home)
        assert ended and all(status == "SUCCEEDED" for _, status in ended), ended

    def run(block: book.Block, sample: list[str] | None = None) -> None:
        loop = book.shadow_loop(block)
        if loop is not None:
            assert sample is not None, "a shadow loop needs the day's sample"
            for org in sample:
                senso(loop, org)
            night()
            return
        if block.language == "hcl":
            return  # prod.tfvars: the applied stack has these on (see the module docstring)
        for line in block.lines:
            state = book.scheduled_name(line, outputs)
            if state is not None:
                said.append((line, 0, scheduler.get_schedule(Name=state)["State"]))
            elif line.startswith("senso deploy"):
                continue  # applied by the harness; needs Docker for the image
            else:
                senso(line)

    def changes() -> list[tuple[str, float, float, bool]]:
        """The recorded history, from the runbook's own `rollout status --json`."""
        document = json.loads(senso("senso --env prod rollout status --json"))
        return [
            (c["kind"], c["previous_percent"], c["percent"], c["forced"])
            for c in document["state"]["history"]
        ]

    def last(prefix: str) -> str:
        return next(output for line, _, output in reversed(said) if line.startswith(prefix))

    preconditions = book.blocks("## Before week 1", "## The plan, week by week")
    drill = book.blocks("### The command", "### The rollback guard")
    command, verify, resume = drill
    assert command.lines[0].startswith("senso --env prod rollback"), command
    assert verify.heading == "Verify" and resume.lines[0].startswith("senso --env prod rollout")

    # Preconditions: the stack known to senso, 0% from Terraform's own parameter, one org on
    # Step Functions, and the rollback drill at 0% (precondition 7).
    senso(f"senso env import-terraform --name prod --dir {applied_stack.terraform.workdir}")
    for block in preconditions:
        if book.shadow_loop(block) is None and block.lines[0].startswith("senso"):
            run(block)
    shown = last("senso env show prod")
    for key in ("rollout_parameter_name", "dispatcher_schedule_name", "rollback_schedule_name",
                "state_machine_arn"):  # fmt: skip
        assert key in shown, shown
    fresh = last("senso --env prod rollout status")
    assert "stage: 0% (all orgs on Inngest); no rollout recorded yet" in fresh, fresh
    assert "history: no changes yet" in fresh, fresh
    night()  # precondition 5's execution
    run(command)
    first_drill = last("senso --env prod rollback")
    assert "rollback INCOMPLETE" not in first_drill, first_drill
    run(verify)
    assert "rollback drill week 2" in last("senso --env prod rollout status")
    assert last("aws scheduler get-schedule --name senso-prod-dispatcher") == "DISABLED"

    # Week 1 to week 4, each stage's blocks in order; the shadow loop with that stage's sample.
    weeks = book.blocks("### Week 1", "### Week 5")
    for block in weeks:
        if block.heading.startswith("Week 1"):
            run(block, samples[0])
    assert "PASS: 1 paired batches" in last("senso --env prod compare --since 1d")
    assert "generated " in (tmp_path / "shadow-week.html").read_text()
    loop = next(block for block in weeks if book.shadow_loop(block) is not None)
    for stage, (heading, percent) in enumerate(
        (("Week 2", 10), ("Week 3", 50), ("Week 4", 100)), start=1
    ):
        for block in weeks:
            if block.heading.startswith(heading):
                run(block)
        if heading == "Week 2":
            # What `dispatcher_schedule_enabled = true` and `senso deploy` do to the schedule.
            Schedules(scheduler).enable(outputs["dispatcher_schedule_name"])
        dry_run = last(f"senso --env prod rollout --percent {percent} --dry-run")
        assert "would apply" in dry_run, dry_run
        raised = last(f"senso --env prod rollout --percent {percent} --reason")
        assert "recorded in SSM parameter /senso/citest/rollout" in raised, raised
        if stage < len(samples):
            run(loop, samples[stage])  # keep shadowing: the next gate's evidence

    status = senso("senso --env prod rollout status")  # week 4 quotes no status of its own
    assert "100% (all orgs on Step Functions)" in status, status
    # Every stage through the gate: none forced.
    assert changes()[-3:] == [("rollout", 0, 10, False), ("rollout", 10, 50, False),
                              ("rollout", 50, 100, False)]  # fmt: skip
    stored = json.loads(
        moto_server.client("ssm").get_parameter(Name=outputs["rollout_parameter_name"])[
            "Parameter"
        ]["Value"]
    )
    assert stored["percent"] == 100

    # The rollback drill at 100%, its checks, and the resume.
    run(command)
    drilled = last("senso --env prod rollback")
    assert "100% -> 0%" in drilled and "rollback INCOMPLETE" not in drilled, drilled
    run(verify)
    assert "stage: 0% (all orgs on Inngest)" in last("senso --env prod rollout status")
    assert last("aws scheduler get-schedule --name senso-prod-dispatcher") == "DISABLED"
    run(resume)
    assert "FORCED past the compare gate" in last("senso --env prod rollout --percent 10")
    assert changes()[-2:] == [("rollback", 100, 0, False), ("rollout", 0, 10, True)]
