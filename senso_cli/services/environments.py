"""Named AWS environments: list, show, choose, import from Terraform, and connect to one.

Environments live in the config file (`<home>/config.toml`) as `[environments.NAME]` tables,
and `env = "NAME"` chooses the default one. The standard library reads TOML but cannot write
it, so `dump_toml` writes the small subset senso's config uses (nested tables, strings,
numbers, booleans, lists); rewriting keeps every value but drops comments.

`aws_target` turns an environment into ready clients, checking region and credentials first
so a missing one is a one-line error with a fix (exit 2) instead of a botocore traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from handlers.config_model import ConfigError, Secret, build, dump
from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError, SensoError
from handlers.settings import LOCAL_ENV, read_config_file
from senso_cli.aws.errors import AwsCredentialsError
from senso_cli.aws.session import AwsClients
from senso_cli.aws.stepfunctions import StepFunctions
from senso_cli.errors import ConfigurationError
from senso_cli.services.database import embedded_server
from senso_cli.settings import EnvironmentSettings, Settings

# Terraform outputs that map one to one onto EnvironmentSettings fields.
TERRAFORM_OUTPUTS = (
    "region",
    "state_machine_arn",
    "dispatcher_state_machine_arn",
    "cluster_arn",
    "task_definition_arn",
    "container_name",
    "subnet_ids",
    "security_group_id",
    "handler_log_group",
    "state_machine_log_group",
    "rollout_parameter_name",
    "dispatcher_schedule_name",
    "rollback_schedule_name",
    "secret_arn",
    "ecr_repository_url",
)
_ENV_NAME = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
Runner = Callable[..., "subprocess.CompletedProcess[str]"]


# -- TOML ------------------------------------------------------------------------------------


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # JSON's string escapes are a subset of TOML basic strings'.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{" + items + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(data: Mapping[str, Any]) -> str:
    """TOML for nested tables of scalars and lists; None values are left out."""
    lines: list[str] = []

    def table(path: list[str], values: Mapping[str, Any]) -> None:
        scalars = [(k, v) for k, v in values.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in values.items() if isinstance(v, Mapping)]
        if path and (scalars or not tables):
            if lines:
                lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for key, value in scalars:
            if value is not None:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in tables:
            table([*path, key], value)

    table([], data)
    return "\n".join(lines) + "\n"


def write_config(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(dump_toml(data))
    tmp.replace(path)  # atomic: a crash never leaves half a config file


# -- list / show / use -------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentRow:
    name: str
    active: bool
    region: str | None
    state_machine_arn: str | None


def list_environments(settings: Settings) -> list[EnvironmentRow]:
    rows = [EnvironmentRow(LOCAL_ENV, settings.env == LOCAL_ENV, None, None)]
    for name, env in sorted(settings.environments.items()):
        rows.append(EnvironmentRow(name, settings.env == name, env.region, env.state_machine_arn))
    return rows


def show_environment(settings: Settings, name: str | None = None) -> dict[str, Any]:
    """The environment's settings as JSON data, secrets masked."""
    chosen = name or settings.env
    env = settings.environment(chosen)
    if env is None:
        return {"name": LOCAL_ENV, "local": True}
    data = dump(env)
    return {"name": chosen} | _masked(data)


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Secret):
            shown[key] = "********" if value.get_secret_value() else None
        elif isinstance(value, dict):
            shown[key] = _masked(value)
        else:
            shown[key] = value
    return shown


def use_environment(config_path: Path, settings: Settings, name: str) -> None:
    """Make `name` the default environment (`env = NAME` in the config file)."""
    if name != LOCAL_ENV:
        settings.environment(name)  # raises with the known names
    raw = read_config_file(config_path)
    raw["env"] = name
    write_config(config_path, raw)


# -- import-terraform --------------------------------------------------------------------------


def terraform_outputs(
    directory: Path, *, run: Runner = subprocess.run, terraform: str = "terraform"
) -> dict[str, Any]:
    """`terraform output -json` in `directory`, as {name: value}."""
    if not directory.is_dir():
        raise InvalidInputError(
            f"{directory} is not a directory", hint="pass --dir infra/terraform"
        )
    binary = shutil.which(terraform)
    if binary is None:
        raise ConfigurationError(
            f"`{terraform}` is not on PATH",
            hint="install Terraform 1.5+ (https://developer.hashicorp.com/terraform/install)",
        )
    try:
        proc = run(
            [binary, f"-chdir={directory}", "output", "-json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigurationError(f"could not run terraform: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise ConfigurationError(
            f"`terraform output -json` failed in {directory}: "
            + (detail[-1] if detail else f"exit {proc.returncode}"),
            hint="run `terraform init` and `terraform apply` there first",
        )
    try:
        raw = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"terraform printed no JSON: {exc.msg}") from exc
    if not raw:
        raise ConfigurationError(
            f"Terraform state in {directory} has no outputs", hint="run `terraform apply` first"
        )
    return {name: item.get("value") for name, item in raw.items() if isinstance(item, dict)}


def environment_from_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The EnvironmentSettings fields Terraform knows, validated."""
    values = {key: outputs[key] for key in TERRAFORM_OUTPUTS if outputs.get(key) is not None}
    if isinstance(values.get("subnet_ids"), str):
        values["subnet_ids"] = [s for s in values["subnet_ids"].split(",") if s]
    _validated(values)
    return values


def _validated(values: Mapping[str, Any]) -> None:
    """Refuse environment values the settings would refuse, before they reach the file."""
    try:
        build(EnvironmentSettings, values)
    except ConfigError as exc:
        where = ".".join(map(str, exc.loc))
        raise ConfigurationError(
            f"environment setting {where}: {exc.msg}", hint="check the Terraform outputs"
        ) from exc


def import_terraform(
    config_path: Path,
    name: str,
    directory: Path,
    *,
    region: str | None = None,
    run: Runner = subprocess.run,
) -> dict[str, Any]:
    """Fill `[environments.NAME]` from Terraform; keeps fields Terraform does not know."""
    if not _ENV_NAME.match(name) or name == LOCAL_ENV:
        raise InvalidInputError(
            f"{name!r} cannot name an environment", hint="use letters, digits, - and _"
        )
    values = environment_from_outputs(terraform_outputs(directory, run=run))
    if region:
        values["region"] = region
    if not values.get("region"):
        raise ConfigurationError(
            "the Terraform outputs have no region",
            hint='pass --region, or add `output "region"` to the Terraform configuration',
        )
    raw = read_config_file(config_path)
    environments = raw.setdefault("environments", {})
    merged = {**environments.get(name, {}), **values}
    _validated(merged)
    environments[name] = merged
    write_config(config_path, raw)
    return merged


# -- connecting --------------------------------------------------------------------------------


@dataclass
class AwsTarget:
    """One AWS environment, with clients that have a region and credentials."""

    name: str
    environment: EnvironmentSettings
    clients: AwsClients

    def require(self, field: str) -> str:
        value = getattr(self.environment, field)
        if not value:
            raise ConfigurationError(
                f"environment {self.name!r} has no {field}",
                hint=f"run `senso env import-terraform --name {self.name}` or set "
                f"environments.{self.name}.{field} in the config file",
            )
        return str(value)

    @property
    def state_machine_arn(self) -> str:
        return self.require("state_machine_arn")

    def stepfunctions(self) -> StepFunctions:
        return StepFunctions(self.clients.stepfunctions())


def aws_target(settings: Settings, name: str | None = None) -> AwsTarget | None:
    """The chosen environment's clients, or None for `local`; checks region and credentials."""
    chosen = name or settings.env
    env = settings.environment(chosen)
    if env is None:
        return None
    clients = AwsClients(region=env.region, profile=env.profile, endpoint_url=env.endpoint_url)
    check_access(clients, chosen)
    return AwsTarget(chosen, env, clients)


def check_access(clients: AwsClients, name: str) -> None:
    try:
        region = clients.region_name
        credentials = clients.session.get_credentials()
    except AwsCredentialsError as exc:
        raise ConfigurationError(exc.message, hint=exc.hint) from exc
    if not region:
        raise ConfigurationError(
            f"no AWS region for environment {name!r}",
            hint=f"set environments.{name}.region (`senso env import-terraform --region`) "
            "or AWS_REGION",
        )
    if credentials is None:
        raise ConfigurationError(
            f"no AWS credentials for environment {name!r}",
            hint="run `aws configure` or `aws sso login`, set AWS_PROFILE, or set "
            f"environments.{name}.profile in the config file",
        )


def reporting_database(settings: Settings, env: EnvironmentSettings | None) -> Database | None:
    """The database that shows orgs and batch progress for an AWS run, if it can be reached.

    The environment's own database_url first, then senso's configured one, then the embedded
    server if it is already running (it is never started for this).
    """
    url: str | None = None
    if env is not None and env.database_url is not None:
        url = env.database_url.get_secret_value()
    elif settings.database_url is not None:
        url = settings.database_url.get_secret_value()
    else:
        status = embedded_server(settings).status()
        url = status.url if status.running else None
    if not url:
        return None
    db = Database(url, connect_timeout=3, tables=Tables.from_mapping(settings.tables))
    try:
        db.check()
    except SensoError:
        return None
    return db
