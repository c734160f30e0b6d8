"""Settings precedence: flag > environment > config file > default, with sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.errors import InvalidInputError
from handlers.settings import describe
from senso_cli.settings import load_settings


def test_precedence_and_sources(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        "matrix_concurrency = 3\nsimulated_seed = 11\nenv = 'x'\n"
    )
    environ = {"SENSO_HOME": str(tmp_path), "SENSO_SIMULATED_SEED": "12"}
    loaded = load_settings(flags={"env": "local"}, environ=environ)
    s = loaded.settings
    assert (s.matrix_concurrency, s.simulated_seed, s.env) == (3, 12, "local")
    assert loaded.sources["matrix_concurrency"].startswith("config file")
    assert loaded.sources["simulated_seed"] == "environment SENSO_SIMULATED_SEED"
    assert loaded.sources["env"] == "command-line flag"


def test_invalid_value_names_setting_and_source(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as info:
        load_settings(environ={"SENSO_HOME": str(tmp_path), "SENSO_MATRIX_CONCURRENCY": "0"})
    assert "matrix_concurrency" in info.value.message
    assert "SENSO_MATRIX_CONCURRENCY" in info.value.message


def test_bad_toml_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("this is = = not toml")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_settings(environ={"SENSO_HOME": str(tmp_path)})


def test_describe_masks_secrets(tmp_path: Path) -> None:
    environ = {
        "SENSO_HOME": str(tmp_path),
        "SENSO_DATABASE_URL": "postgresql://u:hunter2@db/senso",
        "SENSO_INNGEST_SIGNING_KEY": "signkey-123",
    }
    rows = describe(load_settings(environ=environ))
    text = repr(rows)
    assert "hunter2" not in text and "signkey-123" not in text


def test_unknown_environment_is_bad_input(tmp_path: Path) -> None:
    settings = load_settings(environ={"SENSO_HOME": str(tmp_path)}).settings
    assert settings.environment() is None
    with pytest.raises(InvalidInputError, match="unknown environment 'prod'"):
        settings.environment("prod")


def test_model_routes_with_dots_survive_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[providers.routes]\n"gpt-4.1" = {provider = "simulated"}\n'
        '[providers.simulated]\nlatency_ms = 5\n'
    )
    settings = load_settings(
        environ={"SENSO_HOME": str(tmp_path), "SENSO_OPENAI_API_KEY": "sk-x"}
    ).settings
    assert settings.providers["routes"] == {"gpt-4.1": {"provider": "simulated"}}
    assert settings.providers["simulated"] == {"latency_ms": 5}
    assert "api_key" in settings.providers["openai"]


def test_env_flag_after_the_command_is_the_global_one(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from senso_cli.app import app

    result = CliRunner().invoke(app, ["status", "--env", "prod"], env={"SENSO_HOME": str(tmp_path)})
    assert result.exit_code == 2
    assert "unknown environment 'prod'" in result.output


def test_providers_json_from_the_task_definition(tmp_path: Path) -> None:
    environ = {
        "SENSO_HOME": str(tmp_path),
        "SENSO_PROVIDERS_JSON": '{"default_provider": "none", "routes": '
        '{"gpt-4.1": {"provider": "azure_openai", "azure_deployment": "gpt41"}}}',
        "SENSO_AZURE_OPENAI_API_KEY": "k",
    }
    loaded = load_settings(environ=environ)
    providers = loaded.settings.providers
    assert providers["routes"]["gpt-4.1"]["azure_deployment"] == "gpt41"
    assert providers["azure_openai"]["api_key"] == "k"
    assert loaded.sources["providers.default_provider"] == "environment SENSO_PROVIDERS_JSON"
    with pytest.raises(InvalidInputError, match="SENSO_PROVIDERS_JSON is not JSON"):
        load_settings(environ={"SENSO_HOME": str(tmp_path), "SENSO_PROVIDERS_JSON": "{nope"})
