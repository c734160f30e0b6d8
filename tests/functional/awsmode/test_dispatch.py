"""The Dispatch step: today's scheduled orgs, routed, started once per day."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from handlers.contract import run_step
from handlers.db.database import Database
from handlers.errors import TransientError
from handlers.routing import PercentRouter, bucket, target_for
from handlers.steps.base import StepContext
from handlers.steps.dispatch import (
    Boto3Dispatcher,
    Boto3Executions,
    DispatchInput,
    DispatchServices,
    dispatch,
)
from senso_cli.migration.router import bucket as cli_bucket
from tests.functional.awsmode.conftest import PASS_DEFINITION, REGION, ROLE_ARN, seed
from tests.modes import Operator

MONDAY = "2025-03-03"


def services(sfn_client: Any, arn: str, **extra: Any) -> DispatchServices:
    return DispatchServices(Boto3Executions(sfn_client, arn, sleep=lambda _: None), **extra)


def names(sfn_client: Any, arn: str) -> list[str]:
    return sorted(e["name"] for e in sfn_client.list_executions(stateMachineArn=arn)["executions"])


def test_dispatch_starts_the_orgs_scheduled_today_once(
    db: Database, sfn_client: Any, state_machine_arn: str
) -> None:
    mon = seed(db, "acme", ["monday", "friday"])
    also_mon = seed(db, "bank", ["mon"])
    seed(db, "coop", ["tuesday"])
    deps = services(sfn_client, state_machine_arn)

    first = run_step("Dispatch", {"day": MONDAY}, db=db, services=deps)

    assert first["day_of_week"] == 0 and first["selected"] == 2
    assert first["counts"] == {"started": 2}
    assert names(sfn_client, state_machine_arn) == sorted(
        [f"org-{mon}-20250303-a1", f"org-{also_mon}-20250303-a1"]
    )
    execution = sfn_client.describe_execution(executionArn=first["orgs"][0]["execution_arn"])
    assert json.loads(execution["input"])["triggered_by"] == "automatic_scheduler"

    again = run_step("Dispatch", {"day": MONDAY}, db=db, services=deps)
    assert again["counts"] == {"already_running": 2}
    assert len(names(sfn_client, state_machine_arn)) == 2

    tuesday = run_step("Dispatch", {"day": "2025-03-04"}, db=db, services=deps)
    assert tuesday["selected"] == 1 and tuesday["counts"] == {"started": 1}


def test_dispatch_uses_today_in_utc(db: Database, sfn_client: Any, state_machine_arn: str) -> None:
    seed(db, "acme", ["sunday"])
    ctx = StepContext(
        db=db,
        clock=lambda: datetime(2025, 3, 9, 1, 30, tzinfo=UTC),  # Sunday 01:30 UTC
        deps=services(sfn_client, state_machine_arn),
    )
    result = dispatch(ctx, DispatchInput())
    assert result.day_of_week == 6 and result.counts == {"started": 1}


def test_router_keeps_inngest_orgs_off_step_functions(
    db: Database, sfn_client: Any, state_machine_arn: str
) -> None:
    acme = seed(db, "acme", ["monday"])
    bank = seed(db, "bank", ["monday"])
    routed = {str(acme): "sfn", str(bank): "inngest"}
    deps = services(sfn_client, state_machine_arn, router=lambda org_id: routed[org_id])
    result = run_step("Dispatch", {"day": MONDAY, "dry_run": False}, db=db, services=deps)
    assert result["counts"] == {"started": 1, "routed_to_inngest": 1}
    assert names(sfn_client, state_machine_arn) == [f"org-{acme}-20250303-a1"]

    nobody = services(sfn_client, state_machine_arn, router=PercentRouter(0))
    assert run_step("Dispatch", {"day": MONDAY}, db=db, services=nobody)["counts"] == {
        "routed_to_inngest": 2
    }


def test_one_org_failing_does_not_stop_the_others(
    db: Database, sfn_client: Any, state_machine_arn: str
) -> None:
    acme = seed(db, "acme", ["monday"])
    bank = seed(db, "bank", ["monday"])
    real = Boto3Executions(sfn_client, state_machine_arn, sleep=lambda _: None)

    class FailsForAcme:
        def start(self, name: str, input: dict[str, Any]) -> tuple[str, bool]:
            if str(acme) in name:
                raise RuntimeError("AccessDenied for this one")
            return real.start(name, input)

        def status(self, execution_arn: str) -> str:
            return real.status(execution_arn)

    with pytest.raises(TransientError, match="1 of 2 orgs could not be started"):
        run_step("Dispatch", {"day": MONDAY}, db=db, services=DispatchServices(FailsForAcme()))
    assert names(sfn_client, state_machine_arn) == [f"org-{bank}-20250303-a1"]


def test_bucket_matches_the_migration_router() -> None:
    for org_id in ("0b6f4c8e-4d7e-4a43-9d9e-2d0c9a1d6f10", "a", "42"):
        assert bucket(org_id, "salt") == cli_bucket(org_id, "salt")
    assert target_for("x", 100) == "sfn" and target_for("x", 0) == "inngest"
    router = PercentRouter.from_rollout_json('{"percent": 100, "salt": "s", "history": []}')
    assert router("any") == "sfn" and router.salt == "s"


def test_container_entry_point_reads_its_environment(
    operator: Operator, moto_like_server: str, tmp_path: Any
) -> None:
    """`python -m handlers Dispatch` as the schedule runs it: ARN and rollout from the env, the
    org's schedule from the product tables (owned: imported; external: as senso-api wrote it)."""
    db, acme = operator.db, operator.org_id  # scheduled on Mondays and Thursdays
    sfn = boto3.client("stepfunctions", region_name=REGION, endpoint_url=moto_like_server)
    machine = sfn.create_state_machine(
        name=f"m-{operator.mode}",  # one moto server state per process: a machine per mode
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/r",
    )["stateMachineArn"]
    ssm = boto3.client("ssm", region_name=REGION, endpoint_url=moto_like_server)
    ssm.put_parameter(
        Name="/senso/t/rollout", Value='{"percent": 100}', Type="String", Overwrite=True
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "SENSO_HOME": str(tmp_path),
        "SENSO_DATABASE_URL": db.url,
        "SENSO_STEP_INPUT": json.dumps({"day": MONDAY}),
        "SENSO_STATE_MACHINE_ARN": machine,
        "SENSO_ROLLOUT_PARAMETER": "/senso/t/rollout",
        "AWS_ENDPOINT_URL": moto_like_server,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "handlers", "Dispatch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    output = json.loads(proc.stdout)
    assert output["counts"] == {"started": 1}
    assert names(sfn, machine) == [f"org-{acme}-20250303-a1"]


def test_with_a_dispatcher_the_orgs_go_to_one_dispatcher_execution(
    db: Database, sfn_client: Any, state_machine_arn: str
) -> None:
    acme = seed(db, "acme", ["monday"])
    bank = seed(db, "bank", ["monday"])
    dispatcher_arn = sfn_client.create_state_machine(
        name="senso-test-dispatcher", definition=PASS_DEFINITION, roleArn=ROLE_ARN
    )["stateMachineArn"]
    # acme was already started today (by hand): it is not handed to the dispatcher again.
    sfn_client.start_execution(
        stateMachineArn=state_machine_arn, name=f"org-{acme}-20250303-a1", input="{}"
    )
    dispatcher = Boto3Dispatcher(
        sfn_client, state_machine_arn, dispatcher_arn, sleep=lambda _: None
    )
    deps = DispatchServices(dispatcher, dispatcher=dispatcher, max_concurrency=7)

    result = run_step("Dispatch", {"day": MONDAY}, db=db, services=deps)

    assert result["counts"] == {"already_running": 1, "started": 1}
    (dispatch_arn,) = result["dispatcher_executions"]
    document = json.loads(sfn_client.describe_execution(executionArn=dispatch_arn)["input"])
    assert document == {
        "day": MONDAY,
        "triggered_by": "automatic_scheduler",
        "max_concurrency": 7,
        "shadow": False,
        "orgs": [{"org_id": str(bank), "name": f"org-{bank}-20250303-a1"}],
    }
    # Dispatch itself started no org execution: the dispatcher does, at its own pace.
    assert names(sfn_client, state_machine_arn) == [f"org-{acme}-20250303-a1"]

    again = run_step("Dispatch", {"day": MONDAY}, db=db, services=deps)
    assert again["dispatcher_executions"] == [dispatch_arn]  # same plan, same execution
    assert len(names(sfn_client, dispatcher_arn)) == 1

    # A shadow dispatch of the same day: every scheduled org, whatever the rollout says,
    # under the shadow names (the live executions above do not count), shadow in the input.
    inngest_only = DispatchServices(
        dispatcher, router=lambda org_id: "inngest", dispatcher=dispatcher, max_concurrency=7
    )
    shadow = run_step("Dispatch", {"day": MONDAY, "shadow": True}, db=db, services=inngest_only)
    assert shadow["counts"] == {"started": 2}
    (shadow_arn,) = shadow["dispatcher_executions"]
    document = json.loads(sfn_client.describe_execution(executionArn=shadow_arn)["input"])
    assert document["shadow"] is True
    assert sorted(o["name"] for o in document["orgs"]) == sorted(
        [f"org-{acme}-20250303-a1-shadow", f"org-{bank}-20250303-a1-shadow"]
    )
