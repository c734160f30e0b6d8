"""The workflow's settings, and the loader that layers every settings record's sources.

The operator's settings (`senso_cli.settings.Settings`) extend `WorkflowSettings` with what
only the CLI uses (AWS environments, Inngest, the rollout, the local runtime's pace); the
container loads `WorkflowSettings` alone, so operator-only settings are not part of it.

Precedence, highest first: command-line flags, `SENSO_*` environment variables, the TOML config
file (`SENSO_CONFIG`, else `<home>/config.toml`), defaults. The loader remembers where every
value came from so `senso config show` can say so; secrets are `Secret` and never printed.
The records are dataclasses checked by handlers.config_model (no pydantic: every command, the
light ones included, loads settings).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from handlers import envvars
from handlers.config_model import ConfigError, Secret, bounds, build, dump
from handlers.errors import InvalidInputError

LOCAL_ENV = "local"


@dataclass
class CellRetrySettings:
    """Retries of one cell's transient failures inside the matrix step (handlers.matrix)."""

    max_attempts: int = field(default=8, metadata=bounds(ge=1, le=100))
    initial_backoff_s: float = field(default=1.0, metadata=bounds(ge=0))
    max_backoff_s: float = field(default=30.0, metadata=bounds(ge=0))
    # The matrix step ends inside it: no attempt starts that could run past it (its provider's
    # longest attempt, handlers.matrix.budget); `senso validate` checks it fits the state's
    # TimeoutSeconds (1800 s) with a margin to write the last cells.
    budget_s: float = field(default=1500.0, metadata=bounds(gt=0))


@dataclass(kw_only=True)
class WorkflowSettings:
    """What the workflow's steps are configured with: the container's settings (its task
    definition's variables and secrets), and the part of the operator's settings the local
    runtime hands its steps. Operator-only settings (environments, Inngest, the rollout) are
    `senso_cli.settings.Settings`, which extends this."""

    database_url: Secret | None = None
    # owned: senso builds the product tables (embedded default); external: they exist and
    # belong to the product; auto: decided by what the database holds (handlers.db.migrate).
    database_mode: Literal["auto", "owned", "external"] = "auto"
    # Product table names that differ from domain.md's (handlers.db.tables).
    tables: dict[str, str] = field(default_factory=dict)
    # The environment's name: outside `local` every model needs an explicit route.
    env: str = LOCAL_ENV
    simulated_seed: int = 7
    matrix_concurrency: int = field(default=8, metadata=bounds(ge=1, le=256))
    cell_retry: CellRetrySettings = field(default_factory=CellRetrySettings)
    # A batch completes only when at most this share of its cells failed; else it fails.
    max_failed_cells_ratio: float = field(default=0.05, metadata=bounds(ge=0, le=1))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # auto: a language model verifies mentions when OpenAI credentials are configured.
    evaluator: Literal["auto", "deterministic", "llm"] = "auto"
    providers: dict[str, Any] = field(default_factory=dict)


SettingsT = TypeVar("SettingsT")


@dataclass(frozen=True)
class LoadedSettings(Generic[SettingsT]):
    settings: SettingsT
    sources: dict[str, str]
    config_path: Path


def default_home(environ: Mapping[str, str]) -> Path:
    data_home = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "senso"


def _set_dotted(target: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, Mapping):
            target[key] = {}
            _merge(target[key], value)
        else:
            target[key] = value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(
            f"config file {path} is not valid TOML: {exc}", hint="fix or remove the file"
        ) from exc


def load_workflow_settings(environ: Mapping[str, str] | None = None) -> WorkflowSettings:
    """The container's settings: its environment (and a config file, when the local runtime
    runs a step as a process), operator-only keys of that file ignored."""
    return load_layers(WorkflowSettings, environ=environ, operator_keys="ignore").settings


def load_layers(
    record: type[SettingsT],
    *,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    operator_keys: Literal["refuse", "ignore"] = "refuse",
) -> LoadedSettings[SettingsT]:
    """Build `record` from flags, environment, config file and defaults (in that order of
    precedence). With operator_keys="ignore", top-level keys `record` does not define are
    dropped instead of refused (the workflow's settings read the operator's file)."""
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}

    home = Path(flags.get("home") or env.get(envvars.HOME) or default_home(env)).expanduser()
    config_path = Path(env.get(envvars.CONFIG) or home / "config.toml").expanduser()
    document = read_config_file(config_path)
    # Merge the file as nested tables: its keys may themselves contain dots (model names such
    # as "gpt-4.1" under [providers.routes]), so they are never split again.
    _merge(raw, document)
    for key in _flatten(document):
        sources[key] = f"config file {config_path}"
    for var, section in ((envvars.PROVIDERS_JSON, "providers"), (envvars.TABLES_JSON, "tables")):
        value = _json_object(env.get(var), var)
        if value:
            _merge(raw.setdefault(section, {}), value)
            for key in _flatten({section: value}):
                sources[key] = f"environment {var}"
    for var, key in envvars.SETTINGS_KEYS.items():
        if env.get(var) not in (None, ""):
            _set_dotted(raw, key, env[var])
            sources[key] = f"environment {var}"
    for key, value in flags.items():
        _set_dotted(raw, key, value)
        sources[key] = "command-line flag"
    raw["home"] = str(home)
    sources.setdefault("home", "default")
    if operator_keys == "ignore":
        known = {f.name for f in fields(record)}  # type: ignore[arg-type]
        raw = {key: value for key, value in raw.items() if key in known}
    try:
        settings = build(record, raw)
    except ConfigError as exc:
        where = ".".join(str(part) for part in exc.loc)
        raise InvalidInputError(
            f"invalid setting {where}: {exc.msg} (from {_source_for(where, sources)})",
            hint="see `senso config show`",
        ) from exc
    return LoadedSettings(settings=settings, sources=sources, config_path=config_path)


def _json_object(text: str | None, var: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{var} is not JSON: {exc.msg}", hint='set it to a JSON object such as {"key": ...}'
        ) from exc
    if not isinstance(value, dict):
        raise InvalidInputError(f"{var} must be a JSON object")
    return value


def describe(loaded: LoadedSettings[Any]) -> list[tuple[str, str, str]]:
    """(key, printable value, source) for every effective setting, secrets masked."""
    dumped = dump(loaded.settings)
    rows: list[tuple[str, str, str]] = []
    for key, value in sorted(_flatten(dumped).items()):
        if isinstance(value, Secret):
            shown = "********" if value.get_secret_value() else ""
        elif _looks_secret(key) and value:
            shown = "********"
        else:
            shown = "" if value is None else str(value)
        rows.append((key, shown, _source_for(key, loaded.sources)))
    return rows


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in ("key", "secret", "password", "token", "database_url"))


def _source_for(key: str, sources: Mapping[str, str]) -> str:
    while True:
        if key in sources:
            return sources[key]
        if "." not in key:
            return "default"
        key = key.rsplit(".", 1)[0]
