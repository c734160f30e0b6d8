"""The operator's settings: the workflow's (handlers.settings.WorkflowSettings) plus what only
the CLI uses: senso's home, the named AWS environments, the Inngest side, the rollout's rails and
the local runtime's pace. Loaded with the same layers (flag > environment > file > default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handlers.config_model import Secret, bounds
from handlers.errors import InvalidInputError
from handlers.settings import LOCAL_ENV, LoadedSettings, WorkflowSettings, load_layers

__all__ = [
    "EnvironmentSettings",
    "InngestSettings",
    "LoadedSettings",
    "RolloutSettings",
    "Settings",
    "load_settings",
]


@dataclass
class InngestSettings:
    """Where the Inngest side of the migration lives (Inngest Cloud or a dev server)."""

    event_key: Secret | None = None
    signing_key: Secret | None = None
    event_api_url: str = "https://inn.gs"
    api_url: str = "https://api.inngest.com"


@dataclass
class EnvironmentSettings:
    """A deployed AWS environment, usually filled by `senso env import-terraform`."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    state_machine_arn: str | None = None
    # Starts the org executions of `senso trigger-batch` (and the daily Dispatch) at most
    # `dispatch_max_concurrency` at once: Terraform's var.dispatch_max_concurrency (default 50).
    dispatcher_state_machine_arn: str | None = None
    dispatch_max_concurrency: int = field(default=50, metadata=bounds(ge=1))
    cluster_arn: str | None = None
    task_definition_arn: str | None = None
    container_name: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_id: str | None = None
    handler_log_group: str | None = None
    state_machine_log_group: str | None = None
    rollout_parameter_name: str | None = None
    dispatcher_schedule_name: str | None = None
    rollback_schedule_name: str | None = None
    # The schedule that triggers the legacy Inngest side, when it lives in EventBridge
    # Scheduler; `senso rollback` re-enables it. None: Inngest's own cron (re-enable by hand).
    inngest_schedule_name: str | None = None
    secret_arn: str | None = None
    ecr_repository_url: str | None = None
    database_url: Secret | None = None
    inngest: InngestSettings = field(default_factory=InngestSettings)


@dataclass
class RolloutSettings:
    """The migration's rails: the local stage before any rollout, and the gate's evidence."""

    # The local home's Step Functions share until a rollout is recorded: 100 so the quick
    # start runs the state machine. AWS environments always start at 0% (all on Inngest).
    local_percent: float = field(default=100.0, metadata=bounds(ge=0, le=100))
    # A raise needs this many paired batches with compare PASS, gathered after the current
    # stage began, on at least this many distinct batch days (a week's stage, shadowing 20-50
    # orgs a day, clears both after a few nights).
    gate_min_pairs: int = field(default=20, metadata=bounds(ge=1))
    gate_min_days: int = field(default=3, metadata=bounds(ge=1))


@dataclass(kw_only=True)
class Settings(WorkflowSettings):
    """Everything senso can be configured with: the workflow's settings and the operator's."""

    home: Path
    environments: dict[str, EnvironmentSettings] = field(default_factory=dict)
    # Org executions the local runtime's dispatcher runs at once (`senso trigger-batch`): each
    # runs its matrix in this process, so a laptop's default is small.
    dispatch_max_concurrency: int = field(default=2, metadata=bounds(ge=1))
    # The local runtime's waits (Wait states, retry backoff) scaled; 0 in tests.
    time_scale: float = field(default=1.0, metadata=bounds(ge=0))
    inngest: InngestSettings = field(default_factory=InngestSettings)
    rollout: RolloutSettings = field(default_factory=RolloutSettings)

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    def environment(self, name: str | None = None) -> EnvironmentSettings | None:
        """The named AWS environment (the active one by default); None for `local`."""
        chosen = name or self.env
        if chosen == LOCAL_ENV:
            return None
        if chosen not in self.environments:
            known = ", ".join(sorted(self.environments)) or "none configured"
            raise InvalidInputError(
                f"unknown environment {chosen!r} (known: {known})",
                hint="add it with `senso env import-terraform` or use --env local",
            )
        return self.environments[chosen]


def load_settings(
    *, flags: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> LoadedSettings[Settings]:
    """The operator's settings from flags, environment, config file and defaults."""
    return load_layers(Settings, flags=flags, environ=environ)
