"""Planted secrets never reach an operator's screen, a `--json` document or a step's log lines.

One module-scoped run plants every secret senso is configured with (provider keys, Inngest keys
and a database password inside SENSO_DATABASE_URL), runs each read command with and without
`--json`, a local trigger, the error paths and the step handlers as the container runs them,
and keeps everything they print. Each output is then one test: no planted value, and no part
of one, appears in it.

The database password is real: the run connects as a role created with that password. The test
server trusts its unix socket, so the password is never checked, only carried in the URL, which
is exactly what must not be printed.

`senso db url` is the one command that prints the URL, on purpose (`psql "$(senso db url)"`);
test_db_url_is_the_one_command_that_prints_the_password pins that down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from typer.testing import CliRunner

from handlers.logs import redact
from senso_cli.app import app

REPO = Path(__file__).resolve().parents[3]
DB_PASSWORD = "PLANTED-db-pass"
PLANTED_ENV = {
    "SENSO_OPENAI_API_KEY": "sk-PLANTED-openai-0000",
    "SENSO_AZURE_OPENAI_API_KEY": "az-PLANTED-azure-1111",
    "SENSO_BRIGHTDATA_API_KEY": "bd-PLANTED-brightdata-2222",
    "SENSO_ANTHROPIC_API_KEY": "sk-ant-PLANTED-anthropic-5555",
    "SENSO_LINKUP_API_KEY": "lk-PLANTED-linkup-6666",
    "SENSO_INNGEST_EVENT_KEY": "evt-PLANTED-inngest-event-3333",
    "SENSO_INNGEST_SIGNING_KEY": "signkey-prod-PLANTED-inngest-signing-4444",
}
# Every planted value, and the fragments that would betray a partly masked one.
NEEDLES = sorted(
    {
        DB_PASSWORD,
        *PLANTED_ENV.values(),
        "PLANTED",
        "openai-0000",
        "azure-1111",
        "brightdata-2222",
        "anthropic-5555",
        "linkup-6666",
        "inngest-event-3333",
        "inngest-signing-4444",
        "db-pass",
    }
)
TEXT_ANSWER = "Northwind Credit Union (https://www.northwindcu.com) is the best choice in Ohio."

# (label, argv); the label names the test. EXECUTION is replaced by a real execution's name.
CLI_RUNS: list[tuple[str, list[str]]] = [
    ("config show", ["config", "show"]),
    ("config show --json", ["config", "show", "--json"]),
    ("db status", ["db", "status"]),
    ("db status --json", ["db", "status", "--json"]),
    ("env list", ["env", "list"]),
    ("env list --json", ["env", "list", "--json"]),
    ("orgs list", ["orgs", "list"]),
    ("orgs list --json", ["orgs", "list", "--json"]),
    ("orgs show", ["orgs", "show", "demo"]),
    ("orgs show --json", ["orgs", "show", "demo", "--json"]),
    ("trigger", ["trigger", "--org", "demo"]),  # again: finds today's batch complete
    ("status", ["status"]),
    ("status --json", ["status", "--json"]),
    ("status EXECUTION", ["status", "EXECUTION"]),
    ("status EXECUTION --json", ["status", "EXECUTION", "--json"]),
    ("logs", ["logs", "--since", "1h", "--format", "detailed"]),
    ("logs --format json", ["logs", "--since", "1h", "--format", "json"]),
    ("compare", ["compare"]),
    ("compare --format json", ["compare", "--format", "json"]),
    ("rollout status", ["rollout", "status"]),
    ("rollout status --json", ["rollout", "status", "--json"]),
    ("evaluate", ["evaluate", "--org", "Northwind Credit Union", "--text", TEXT_ANSWER]),
    (
        "evaluate --json",
        ["evaluate", "--org", "Northwind Credit Union", "--text", TEXT_ANSWER, "--json"],
    ),
    ("validate", ["validate", "--skip", "terraform", "--skip", "docker"]),
    ("validate --json", ["validate", "--skip", "terraform", "--skip", "docker", "--json"]),
    ("cost-estimate", ["cost-estimate"]),
    ("cost-estimate --format json", ["cost-estimate", "--format", "json"]),
    ("error: unknown org", ["orgs", "show", "nope"]),
    ("error: trigger unknown org --json", ["trigger", "--org", "nope", "--json"]),
    ("error: grant to unknown org", ["credits", "grant", "nope", "5", "--reason", "pilot"]),
]
# Runs that must connect to a database that is not there, with the password in the URL.
UNREACHABLE_RUNS: list[tuple[str, list[str]]] = [
    ("error: unreachable database", ["orgs", "list"]),
    ("error: unreachable database --json", ["orgs", "list", "--json"]),
    ("db status, unreachable database", ["db", "status", "--json"]),
]
HANDLER_STEPS = [
    "GetOrCreateBatch",
    "CheckBalance",
    "StartBatchProcessing",
    "RunQuestionMatrixWithEvaluation",
]


def database_url(server_url: str, name: str) -> str:
    return make_conninfo(server_url, dbname=name)


def unreachable_url() -> str:
    return f"postgresql://senso_app:{DB_PASSWORD}@127.0.0.1:1/senso"


@pytest.fixture(scope="module")
def planted_database(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A migrated database reached as a role whose password is planted in the URL."""
    name = f"s_{uuid.uuid4().hex[:16]}"
    role = f"senso_app_{uuid.uuid4().hex[:8]}"
    admin = database_url(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_database)
            )
        )
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(DB_PASSWORD)
            )
        )
        conn.execute(
            sql.SQL("GRANT ALL ON DATABASE {} TO {}").format(
                sql.Identifier(name), sql.Identifier(role)
            )
        )
    with psycopg.connect(database_url(pg_server_url, name), autocommit=True) as conn:
        for grant in (
            "GRANT ALL ON SCHEMA public TO {}",
            "GRANT ALL ON ALL TABLES IN SCHEMA public TO {}",
            "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {}",
            # senso's own schema, where its bookkeeping lives.
            "GRANT ALL ON SCHEMA senso TO {}",
            "GRANT ALL ON ALL TABLES IN SCHEMA senso TO {}",
            "GRANT ALL ON ALL SEQUENCES IN SCHEMA senso TO {}",
        ):
            conn.execute(sql.SQL(grant).format(sql.Identifier(role)))
    params = conninfo_to_dict(database_url(pg_server_url, name))
    url = (
        f"postgresql://{role}:{DB_PASSWORD}@/{name}"
        f"?host={quote(str(params['host']), safe='/')}&port={params.get('port', 5432)}"
    )
    with psycopg.connect(url) as conn:  # the planted URL really is the way in
        conn.execute("SELECT 1")
    try:
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def start_handler(step: str, step_input: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`python -m handlers STEP` as the container runs it, input in SENSO_STEP_INPUT."""
    return subprocess.Popen(
        [sys.executable, "-m", "handlers", step],
        env=env | {"SENSO_STEP_INPUT": step_input},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    stdout, stderr = proc.communicate(timeout=60)
    return stdout, stderr


@pytest.fixture(scope="module")
def captured(
    planted_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Everything senso printed while the secrets were planted, by label."""
    outputs: dict[str, str] = {}
    stdouts: dict[str, str] = {}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SENSO_HOME", str(tmp_path_factory.mktemp("senso-home")))
        mp.setenv("SENSO_DATABASE_URL", planted_database)
        mp.setenv("SENSO_EVALUATOR", "deterministic")  # the planted OpenAI key is never called
        for var, value in PLANTED_ENV.items():
            mp.setenv(var, value)

        def cli(label: str, argv: list[str]) -> str:
            result = runner.invoke(app, argv)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                f"{label}: {result.exception!r}\n{result.output}"
            )
            outputs[label] = result.output  # stdout and stderr, interleaved
            stdouts[label] = result.stdout
            return result.stdout

        cli("dev seed", ["dev", "seed"])
        triggered = json.loads(cli("trigger --json", ["trigger", "--org", "demo", "--json"]))
        assert triggered["status"] == "SUCCEEDED", triggered
        execution = triggered["execution_arn"].rsplit(":", 1)[-1]
        for label, argv in CLI_RUNS:
            cli(label, [execution if arg == "EXECUTION" else arg for arg in argv])

        mp.setenv("SENSO_DATABASE_URL", unreachable_url())
        for label, argv in UNREACHABLE_RUNS:
            cli(label, argv)

        env = dict(os.environ) | {"SENSO_DATABASE_URL": planted_database}
        org_id = json.loads(stdouts["orgs show --json"])["org_id"]
        # The failing runs are independent of each other and of the chain: start them first.
        failing = {
            "handler error: unknown org": start_handler(
                "GetOrCreateBatch", json.dumps({"org_id": str(uuid.uuid4())}), env
            ),
            "handler error: not JSON": start_handler("GetOrCreateBatch", "{not json", env),
            "handler error: unreachable database": start_handler(
                "GetOrCreateBatch",
                json.dumps({"org_id": org_id}),
                env | {"SENSO_DATABASE_URL": unreachable_url()},
            ),
        }
        try:
            payload: dict[str, object] = {"org_id": org_id, "batch_day": "2025-01-08"}
            for step in HANDLER_STEPS:
                stdout, stderr = finish(start_handler(step, json.dumps(payload), env))
                outputs[f"handler {step}"] = stdout + stderr
                assert stdout, f"{step} failed:\n{stderr}"
                if step == "GetOrCreateBatch":
                    payload = payload | {"batch": json.loads(stdout)}
            for label, proc in failing.items():
                stdout, stderr = finish(proc)
                assert '"level": "ERROR"' in stderr, f"{label}: the step did not fail\n{stderr}"
                outputs[label] = stdout + stderr
        finally:
            for proc in failing.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    yield outputs


EVERY_OUTPUT = [
    "dev seed",
    "trigger --json",
    *(label for label, _ in CLI_RUNS),
    *(label for label, _ in UNREACHABLE_RUNS),
    *(f"handler {step}" for step in HANDLER_STEPS),
    "handler error: unknown org",
    "handler error: not JSON",
    "handler error: unreachable database",
]


@pytest.mark.parametrize("label", EVERY_OUTPUT)
def test_no_planted_secret_in_output(captured: dict[str, str], label: str) -> None:
    output = captured[label]
    assert output.strip(), f"{label} printed nothing: the check would prove nothing"
    leaked = [needle for needle in NEEDLES if needle in output]
    assert leaked == [], f"{label} printed {leaked}:\n{output}"


def test_config_show_masks_every_planted_setting(captured: dict[str, str]) -> None:
    settings = {
        row["key"]: row["value"] for row in json.loads(captured["config show --json"])["settings"]
    }
    for key in (
        "database_url",
        "providers.openai.api_key",
        "providers.azure_openai.api_key",
        "providers.brightdata.api_key",
        "inngest.event_key",
        "inngest.signing_key",
    ):
        assert settings[key] == "********", key


def test_db_url_is_the_one_command_that_prints_the_password(
    planted_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Accepted on purpose: `senso db url` exists to be substituted, as in
    `psql "$(senso db url)"`, so it prints the URL whole. Every other command masks it."""
    monkeypatch.setenv("SENSO_HOME", str(tmp_path))
    monkeypatch.setenv("SENSO_DATABASE_URL", planted_database)
    result = CliRunner().invoke(app, ["db", "url"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == planted_database


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"postgresql://app:{DB_PASSWORD}@127.0.0.1:1/senso", id="userinfo"),
        pytest.param(
            f"postgresql://app@127.0.0.1:1/senso?password={DB_PASSWORD}",
            id="query-parameter",
        ),
        pytest.param(
            f"host=127.0.0.1 port=1 user=app password={DB_PASSWORD} dbname=senso",
            id="libpq-conninfo",
        ),
    ],
)
def test_db_status_masks_the_password_in_every_url_form(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every form psycopg accepts; the server is not there, so `db status` says unreachable
    (exit 1: an external database that should be up is not)."""
    monkeypatch.setenv("SENSO_HOME", str(tmp_path))
    monkeypatch.setenv("SENSO_DATABASE_URL", url)
    runner = CliRunner()
    for argv in (["db", "status"], ["db", "status", "--json"]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 1, result.output
        assert "unreachable" in result.output or '"reachable": false' in result.output
        assert "PLANTED" not in result.output, result.output


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        pytest.param("api_key=sk-abc123secret", "abc123secret", id="api-key-assignment"),
        pytest.param("OPENAI_API_KEY: abcdef123", "abcdef123", id="api-key-colon"),
        pytest.param('{"api_key": "abc123secret"}', "abc123secret", id="api-key-json"),
        pytest.param("x-api-key: abc123secret", "abc123secret", id="api-key-header"),
        pytest.param("sk-proj-abcdefghijkl", "abcdefghijkl", id="bare-openai-key"),
        pytest.param("token=abc123secret", "abc123secret", id="token"),
        pytest.param("signing_key=signkey-prod-abc123", "abc123", id="signing-key"),
        pytest.param("secret: abc123", "abc123", id="secret"),
        pytest.param("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi", id="bearer-token"),
        pytest.param("authorization: bearer abc123secret", "abc123secret", id="bearer-lower"),
        pytest.param(
            "postgresql://app:hunter2@db.example.com:5432/senso", "hunter2", id="postgres-url"
        ),
        pytest.param("postgres://app:hunter2@/senso?host=/tmp", "hunter2", id="postgres-socket"),
        pytest.param(
            "postgresql://app@/senso?password=hunter2&host=/tmp", "hunter2", id="url-query"
        ),
        pytest.param(
            "host=/tmp user=app password=hunter2 dbname=senso", "hunter2", id="libpq-conninfo"
        ),
        pytest.param("PASSWORD=hunter2", "hunter2", id="password-upper"),
        pytest.param(
            "event_key=abc123secret",
            "abc123secret",
            id="inngest-event-key",
        ),
        pytest.param(
            "{'password': 'hunter2'}",
            "hunter2",
            id="python-repr-single-quotes",
        ),
        pytest.param(
            "https://user:hunter2@proxy.example.com/v1",
            "hunter2",
            id="https-url-userinfo",
        ),
    ],
)
def test_redact_masks_credentials(text: str, secret: str) -> None:
    masked = redact(text)
    assert secret not in masked, masked
    assert "********" in masked, masked
