"""Builds what commands drive (runtimes, AWS targets, rollout stores) from the invocation's
settings, so no command chooses a backend or constructs a client itself.

Everything heavy (boto3, psycopg, the ASL interpreter) is imported inside the function that
needs it: importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.errors import InvalidInputError
from senso_cli.context import AppState

if TYPE_CHECKING:
    from senso_cli.aws.logs import CloudWatchLogs
    from senso_cli.aws.scheduler import Schedules
    from senso_cli.aws.stepfunctions import StepFunctions
    from senso_cli.local.invoker import Isolation
    from senso_cli.local.runtime import LocalRuntime
    from senso_cli.migration.rollout_state import RolloutStore
    from senso_cli.migration.router import Target
    from senso_cli.runs import Runs
    from senso_cli.runs.inngest import InngestRuns
    from senso_cli.services.environments import AwsTarget
    from senso_cli.services.rollback import RollbackNames
    from senso_cli.services.routing import Decision


def aws(app: AppState) -> AwsTarget | None:
    """The AWS environment chosen with --env / SENSO_ENV / the config, or None for local."""
    if app.loaded.settings.environment() is None:
        return None  # local: no need to load boto3
    from senso_cli.services.environments import aws_target

    return aws_target(app.loaded.settings)


def local_runtime(app: AppState, isolation: Isolation = "inprocess") -> LocalRuntime:
    from senso_cli.local.runtime import LocalRuntime

    if app.loaded.settings.environment() is not None:
        raise InvalidInputError(
            "AWS environments are driven through Step Functions itself",
            hint="this build runs the local runtime; use --env local",
        )
    return LocalRuntime(app.db, app.loaded.settings, isolation=isolation)


def rollout_backends(
    app: AppState,
) -> tuple[RolloutStore, Schedules | None, RollbackNames, StepFunctions | None]:
    """Locally: PostgreSQL and nothing to switch. In an AWS environment: its SSM parameter,
    EventBridge Scheduler and Step Functions."""
    from senso_cli.aws.scheduler import Schedules
    from senso_cli.aws.ssm import Parameters
    from senso_cli.aws.stepfunctions import StepFunctions
    from senso_cli.errors import ConfigurationError
    from senso_cli.migration.rollout_state import PostgresRolloutStore, SsmRolloutStore
    from senso_cli.services.rollback import RollbackNames

    settings = app.loaded.settings
    env = settings.environment()
    if env is None:
        store = PostgresRolloutStore(app.db, initial_percent=settings.rollout.local_percent)
        return store, None, RollbackNames(), None
    if not env.rollout_parameter_name:
        raise ConfigurationError(
            f"environment {settings.env!r} has no rollout_parameter_name",
            hint="re-run `senso env import-terraform` or set it in the config file",
        )
    target = aws(app)
    assert target is not None  # env is an AWS environment here
    clients = target.clients
    return (
        SsmRolloutStore(Parameters(clients.ssm()), env.rollout_parameter_name),
        Schedules(clients.scheduler()),
        RollbackNames.from_environment(env),
        StepFunctions(clients.stepfunctions()),
    )


def routing_store(app: AppState) -> RolloutStore | None:
    """The rollout state routing reads; None for an AWS environment without a parameter."""
    env = app.loaded.settings.environment()
    if env is not None and not env.rollout_parameter_name:
        return None
    return rollout_backends(app)[0]


def runs(app: AppState, isolation: Isolation = "inprocess") -> Runs:
    """The executions of the chosen environment: Step Functions for an AWS one, else the local
    runtime."""
    target = aws(app)
    if target is None:
        from senso_cli.runs.local import LocalRuns

        return LocalRuns(app.db, lambda: local_runtime(app, isolation), sleep=app.sleep)
    from senso_cli.runs.sfn import SfnRuns
    from senso_cli.services.environments import reporting_database

    settings = app.loaded.settings
    env = target.environment

    def log_groups() -> tuple[CloudWatchLogs, list[str]]:
        from senso_cli.aws.logs import CloudWatchLogs

        groups = [g for g in (env.handler_log_group, env.state_machine_log_group) if g]
        return CloudWatchLogs(target.clients.logs()), groups

    return SfnRuns(
        target.stepfunctions(),
        lambda: target.state_machine_arn,
        lambda: reporting_database(settings, env),
        dispatcher_arn=lambda: target.require("dispatcher_state_machine_arn"),
        max_concurrency=env.dispatch_max_concurrency,
        sleep=app.sleep,
        log_groups=log_groups,
    )


def follow_hint(app: AppState, name: str, command: str = "status") -> str:
    """The command that follows (or, with `command`, redrives...) an execution in the chosen
    environment."""
    env = app.loaded.settings.environment()
    return f"senso {command} {name}" + (f" --env {app.loaded.settings.env}" if env else "")


def inngest(app: AppState) -> InngestRuns:
    """The Inngest side: the real Inngest when an event key is configured, else the stand-in."""
    from senso_cli.runs.inngest import InngestRuns

    return InngestRuns(app.db, app.loaded.settings)


def route(app: AppState, org_ref: str, override: Target | None) -> Decision:
    """Where this org runs; the org must exist (an unknown org starts nothing)."""
    from senso_cli.services import routing

    if override == "sfn":
        return routing.Decision("sfn", "--target sfn (this call only)")
    store = routing_store(app)
    if store is None and override is None:
        return routing.decide(None, org_ref, None)
    return routing.decide(store, _routing_org_id(app, org_ref), override)


def _routing_org_id(app: AppState, org_ref: str) -> str:
    """Locally from senso's database; on AWS from the environment's database when reachable,
    else the reference itself when it is an org UUID (the bucket needs only the id)."""
    from senso_cli.services.aws_runs import resolve_org
    from senso_cli.services.environments import reporting_database

    settings = app.loaded.settings
    env = settings.environment()
    db = app.db if env is None else reporting_database(settings, env)
    return resolve_org(db, org_ref).org_id
