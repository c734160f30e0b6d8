"""Settings records are checked as pydantic's lax mode checked them (handlers.config_model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.config_model import ConfigError, Secret, build
from handlers.errors import InvalidInputError
from handlers.settings import describe
from senso_cli.settings import Settings, load_settings


def test_values_from_environment_strings_get_their_types(tmp_path: Path) -> None:
    settings = build(
        Settings,
        {
            "home": str(tmp_path),
            "matrix_concurrency": "12",
            "time_scale": "0",
            "max_failed_cells_ratio": "0.1",
            "database_url": "postgresql://u:pw@db/x",
            "environments": {"prod": {"region": "eu-west-1", "subnet_ids": ["a", "b"]}},
            "cell_retry": {"max_attempts": 3},
        },
    )
    assert settings.home == tmp_path
    assert (settings.matrix_concurrency, settings.time_scale) == (12, 0.0)
    assert settings.max_failed_cells_ratio == 0.1
    assert isinstance(settings.database_url, Secret)
    assert settings.database_url.get_secret_value() == "postgresql://u:pw@db/x"
    assert "pw" not in repr(settings)
    env = settings.environment("prod")
    assert env is not None and env.subnet_ids == ["a", "b"] and env.inngest.event_key is None
    assert settings.cell_retry.max_attempts == 3 and settings.cell_retry.budget_s == 1500.0


@pytest.mark.parametrize(
    ("data", "loc", "msg"),
    [
        ({"matrix_concurrency": "0"}, ("matrix_concurrency",), "greater than or equal to 1"),
        ({"matrix_concurrency": "many"}, ("matrix_concurrency",), "valid integer"),
        ({"matrix_concurrency": True}, ("matrix_concurrency",), "valid integer"),
        ({"max_failed_cells_ratio": 1.5}, ("max_failed_cells_ratio",), "less than or equal to 1"),
        ({"cell_retry": {"budget_s": 0}}, ("cell_retry", "budget_s"), "greater than 0"),
        ({"log_level": "LOUD"}, ("log_level",), "'DEBUG' or 'INFO'"),
        ({"colour": "red"}, ("colour",), "Extra inputs are not permitted"),
        ({"environments": {"x": {"regoin": "a"}}}, ("environments", "x", "regoin"), "Extra"),
        ({"environments": {"x": {"subnet_ids": "a"}}}, ("environments", "x", "subnet_ids"), "list"),
        ({"tables": {"orgs": 3}}, ("tables", "orgs"), "valid string"),
        ({"rollout": []}, ("rollout",), "valid dictionary"),
    ],
)
def test_a_bad_value_is_named_by_where_it_is(
    data: dict[str, object], loc: tuple[str, ...], msg: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        build(Settings, {"home": str(tmp_path), **data})
    assert info.value.loc == loc
    assert msg in info.value.msg


def test_a_required_field_is_required() -> None:
    with pytest.raises(ConfigError, match="home: Field required"):
        build(Settings, {})


def test_a_nested_bad_value_from_the_config_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[environments.x]\nregion = 3\n")
    with pytest.raises(InvalidInputError) as info:
        load_settings(environ={"SENSO_HOME": str(tmp_path)})
    assert "environments.x.region" in info.value.message
    assert "config file" in info.value.message


def test_describe_masks_an_environments_database_url(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[environments.prod]\nregion = "us-east-1"\ndatabase_url = "postgresql://a:s3cret@h/d"\n'
    )
    rows = dict((key, shown) for key, shown, _ in describe(load_settings(
        environ={"SENSO_HOME": str(tmp_path)})))
    assert rows["environments.prod.database_url"] == "********"
    assert "s3cret" not in repr(rows)


def test_the_container_loads_workflow_settings_only(tmp_path: Path) -> None:
    from dataclasses import fields

    from handlers.settings import WorkflowSettings, load_workflow_settings

    # The operator's file (environments, rollout, home) is read by a step run as a process
    # too: its operator-only keys are ignored there, its workflow keys apply.
    (tmp_path / "config.toml").write_text(
        'matrix_concurrency = 3\n[rollout]\nlocal_percent = 50\n[environments.prod]\nregion = "x"\n'
    )
    workflow = load_workflow_settings({"SENSO_HOME": str(tmp_path), "SENSO_ENV": "prod"})
    assert type(workflow) is WorkflowSettings
    assert (workflow.matrix_concurrency, workflow.env) == (3, "prod")
    names = {f.name for f in fields(WorkflowSettings)}
    assert not names & {"home", "environments", "inngest", "rollout", "time_scale"}
    # The operator's settings are the workflow's plus their own.
    operator = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    assert isinstance(operator, WorkflowSettings) and operator.rollout.local_percent == 50
