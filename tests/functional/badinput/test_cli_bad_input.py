"""Bad input to every command that takes input: one table, one test.

Each row is what an operator might type. Whatever it is, senso must answer with the documented
exit code (2 bad usage or input, 1 an operation that failed, see senso_cli/errors.py), one
`error:` line on stderr that names the problem, a `hint:` line where the command has one, no
Python traceback, and no change at all in the database.

Two shapes of error exist. senso's own errors print `error: ...` and `hint: ...`. Errors that
Click finds while parsing (a value of the wrong type, below an option's `min`, not one of an
enum's choices) print Click's usage error instead: `Usage: senso ...`, `Try 'senso ... --help'`
and the problem in a box. Rows with `usage=True` expect that shape.

Rows whose `hint` is None are commands that give no hint today. Rows marked xfail(strict=True)
are product bugs: fixing the product turns them into XPASS, which fails the suite until the
marker is removed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.app import app
from senso_cli.aws.timeparse import ACCEPTED_FORMATS
from senso_cli.services.orgs import seed_demo

UNSET = None  # an `env` value that removes the variable

VALID_ORG = (
    "slug: acme\nname: Acme\npartner: {slug: p, name: P}\n"
    "questions: [Which bank is best]\nmodels: [gpt-4.1]\nlocations: [US]\n"
)
VALID_ASL = '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
ENV_WITHOUT_REGION = (
    "[environments.x]\n"
    'state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:workflow"\n'
    'rollout_parameter_name = "/senso/rollout"\n'
)
ENV_WITHOUT_CREDENTIALS = (
    "[environments.y]\n"
    'region = "eu-west-1"\n'
    'state_machine_arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:workflow"\n'
)
NO_REGION = {"AWS_DEFAULT_REGION": UNSET, "AWS_REGION": UNSET}
NO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": UNSET,
    "AWS_SECRET_ACCESS_KEY": UNSET,
    "AWS_SESSION_TOKEN": UNSET,
    "AWS_PROFILE": UNSET,
    "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata lookup: fast and offline
}
CLOSED_PORT_DB = {"SENSO_DATABASE_URL": "postgresql://senso@127.0.0.1:1/senso"}
MISSING_SOCKET_DB = {"SENSO_DATABASE_URL": "postgresql://senso@/senso?host=/nonexistent/socket-dir"}
DB_HINT = "check SENSO_DATABASE_URL"
ORG_HINT = "`senso orgs list` shows the orgs"
FORMAT_HINT = "docs/operator-guide.md"
PERCENT_HINT = "`senso rollout --percent 10`"
TOLERANCE_HINT = "a percentage such as 1%"


@dataclass(frozen=True)
class Case:
    command: str  # as typed after `senso`; {tmp} is this test's tmp_path
    says: str  # the error line contains this: it names the problem
    hint: str | None  # the hint line contains this; None: the command gives no hint
    exit_code: int = 2
    usage: bool = False  # Click's usage-error shape instead of senso's error/hint lines
    files: dict[str, str] = field(default_factory=dict)  # written under tmp_path
    env: dict[str, str | None] = field(default_factory=dict)
    config: str | None = None  # SENSO_HOME/config.toml

    def argv(self, tmp_path: Path) -> list[str]:
        return [arg.replace("{tmp}", str(tmp_path)) for arg in shlex.split(self.command)]


def row(
    command: str,
    says: str,
    hint: str | None,
    *,
    id: str,
    bug: str | None = None,
    **details: object,
) -> object:
    """One row; `bug` describes a product bug and marks the row xfail(strict=True)."""
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    case = Case(command, says, hint, **details)  # type: ignore[arg-type]
    return pytest.param(case, id=id, marks=marks)


CASES = [
    # -- orgs import ---------------------------------------------------------------------------
    row("orgs import {tmp}/org.yaml", "is not valid YAML", FORMAT_HINT,
        files={"org.yaml": "slug: [unclosed\n"}, id="orgs-import-malformed-yaml"),
    row("orgs import {tmp}/org.json", "is not valid JSON", FORMAT_HINT,
        files={"org.json": '{"slug": "acme",'}, id="orgs-import-malformed-json"),
    row("orgs import {tmp}/org.yaml", "orgs[0].colour: Extra inputs are not permitted",
        FORMAT_HINT, files={"org.yaml": VALID_ORG + "colour: red\n"},
        id="orgs-import-unknown-field"),
    row("orgs import {tmp}/org.yaml", "orgs[0].questions: Input should be a valid list",
        FORMAT_HINT, files={"org.yaml": VALID_ORG.replace("[Which bank is best]", "42")},
        id="orgs-import-wrong-type"),
    row("orgs import {tmp}/org.yaml", "file: Input should be a valid dictionary", FORMAT_HINT,
        files={"org.yaml": "- acme\n- northwind\n"}, id="orgs-import-not-a-mapping"),
    row("orgs import {tmp}/missing.yaml", "missing.yaml: No such file or directory", None,
        id="orgs-import-missing-file"),
    # -- unknown org ---------------------------------------------------------------------------
    row("orgs show nope", "no org 'nope'", ORG_HINT, id="orgs-show-unknown-org"),
    row("trigger --org nope --json", "no org 'nope'", ORG_HINT, id="trigger-unknown-org"),
    row("credits grant nope 10 --reason pilot", "no org 'nope'", ORG_HINT,
        id="credits-grant-unknown-org"),
    row("status --org nope", "no org 'nope'", ORG_HINT, id="status-unknown-org"),
    row("logs --org nope", "no org 'nope'", ORG_HINT, id="logs-unknown-org"),
    row("orgs show '[/]'", "no org '[/]'", ORG_HINT, id="orgs-show-org-name-with-brackets"),
    row("status nope-execution", "no execution or org 'nope-execution'", "`senso status` lists",
        id="status-unknown-execution"),
    row("redrive nope-execution", "no execution 'nope-execution'", "`senso status` lists",
        id="redrive-unknown-execution"),
    # -- credits grant -------------------------------------------------------------------------
    row("credits grant demo -5 --reason pilot", "amount '-5' must be a positive number", "e.g. 100",
        id="credits-grant-negative"),
    row("credits grant demo --reason pilot -- -5", "amount '-5' must be a positive number",
        None, id="credits-grant-negative-after-double-dash"),
    row("credits grant demo 0 --reason pilot", "amount '0' must be a positive number", None,
        id="credits-grant-zero"),
    row("credits grant demo ten --reason pilot", "amount 'ten' is not a number",
        "e.g. 100 or 12.5", id="credits-grant-non-numeric"),
    row("credits grant demo NaN --reason pilot", "amount 'NaN' must be a positive number",
        None, id="credits-grant-nan"),
    row("credits grant demo 10 --reason ''", "--reason must not be empty", "say why",
        id="credits-grant-empty-reason"),
    row("credits grant demo 10 --reason '   '", "--reason must not be empty", "say why",
        id="credits-grant-blank-reason"),
    # -- days and --since ----------------------------------------------------------------------
    row("trigger --org demo --day 2025-02-30", "--day '2025-02-30' is not a date",
        "YYYY-MM-DD", id="trigger-bad-day"),
    row("status --since yesterday", "--since value 'yesterday'", ACCEPTED_FORMATS,
        id="status-since-unparseable"),
    row("status --since 0m", "--since must be a positive age", ACCEPTED_FORMATS,
        id="status-since-zero"),
    row("compare --since yesterday", "--since value 'yesterday'", ACCEPTED_FORMATS,
        id="compare-since-unparseable"),
    row("compare --until soon", "--until value 'soon'", ACCEPTED_FORMATS,
        id="compare-until-unparseable"),
    row("logs --since yesterday", "--since value 'yesterday'", ACCEPTED_FORMATS,
        id="logs-since-unparseable"),
    row("redrive --since yesterday", "--since value 'yesterday'", ACCEPTED_FORMATS,
        id="redrive-since-unparseable"),
    row("cost-estimate --from-db --since 'a while'", "--since value 'a while'",
        ACCEPTED_FORMATS, id="cost-estimate-since-unparseable"),
    row("status --status bogus", "--status 'bogus' is not an execution status", None,
        id="status-unknown-status"),
    row("logs --format xml", "--format 'xml' is not one of short, detailed, json", None,
        id="logs-unknown-format"),
    row("redrive", "give an EXECUTION, or --since", "senso redrive --since 24h",
        id="redrive-without-execution-or-since"),
    # -- compare -------------------------------------------------------------------------------
    row("compare --tolerance abc", "--tolerance 'abc'", TOLERANCE_HINT,
        id="compare-tolerance-not-a-number"),
    row("compare --tolerance 150%", "--tolerance '150%'", TOLERANCE_HINT,
        id="compare-tolerance-over-100-percent"),
    row("compare --tolerance -1%", "--tolerance '-1%'", TOLERANCE_HINT,
        id="compare-tolerance-negative"),
    row("compare --tolerance '[red]5'", "--tolerance '[red]5'", TOLERANCE_HINT,
        id="compare-tolerance-with-brackets"),
    row("compare --format xml", "'xml' is not one of", None, usage=True,
        id="compare-unknown-format"),
    # -- rollout -------------------------------------------------------------------------------
    row("rollout", "give --percent N (0-100)", "senso rollout status", id="rollout-no-percent"),
    row("rollout --percent -1", "--percent must be between 0 and 100", PERCENT_HINT,
        id="rollout-percent-negative"),
    row("rollout --percent 101", "--percent must be between 0 and 100", PERCENT_HINT,
        id="rollout-percent-over-100"),
    row("rollout --percent nan", "--percent must be between 0 and 100", PERCENT_HINT,
        id="rollout-percent-nan"),
    row("rollout --percent abc", "Invalid value for '--percent'", None, usage=True,
        id="rollout-percent-not-a-number"),
    row("validate --skip bogus", "unknown --skip group bogus", "groups: asl, handlers",
        id="validate-unknown-skip-group"),
    # -- run-definition ------------------------------------------------------------------------
    row("run-definition {tmp}/machine.json", "machine.json is not JSON", "StartAt and States",
        files={"machine.json": "StartAt: Done\n"}, id="run-definition-asl-not-json"),
    row("run-definition {tmp}/machine.json", "StartAt", None,
        files={"machine.json": '{"States": {"Done": {"Type": "Succeed"}}}'},
        id="run-definition-start-at-missing"),
    row("run-definition {tmp}/missing.json", "missing.json: No such file", None,
        id="run-definition-missing-file"),
    row("run-definition {tmp}/machine.json --input '{not json'", "--input is not JSON",
        "--input '{\"a\": 1}'", files={"machine.json": VALID_ASL},
        id="run-definition-bad-input-json"),
    row("run-definition {tmp}/machine.json --mock-config {tmp}/mock.json",
        "--mock-config and --test-case go together", None,
        files={"machine.json": VALID_ASL, "mock.json": '{"StateMachines": {}}'},
        id="run-definition-mock-config-without-test-case"),
    # -- evaluate ------------------------------------------------------------------------------
    row("evaluate --org Acme", "exactly one of --text or --file", None,
        id="evaluate-neither-text-nor-file"),
    row("evaluate --org Acme --text 'Acme is great' --file {tmp}/a.txt",
        "exactly one of --text or --file", None, files={"a.txt": "Acme"},
        id="evaluate-both-text-and-file"),
    row("evaluate --org Acme --file {tmp}/missing.txt", "no such file", None,
        id="evaluate-missing-file"),
    # -- environments, region and credentials --------------------------------------------------
    row("--env prod status", "unknown environment 'prod'", "senso env import-terraform",
        id="env-unknown-status"),
    row("--env prod orgs list", "unknown environment 'prod'", "senso env import-terraform",
        id="env-unknown-orgs-list"),
    row("--env x status", "no AWS region for environment 'x'", "environments.x.region",
        config=ENV_WITHOUT_REGION, env=NO_REGION, id="env-without-region-status"),
    row("--env x logs", "no AWS region for environment 'x'", "environments.x.region",
        config=ENV_WITHOUT_REGION, env=NO_REGION, id="env-without-region-logs"),
    row("--env x rollout status", "no AWS region for environment 'x'",
        "environments.x.region", config=ENV_WITHOUT_REGION, env=NO_REGION,
        id="env-without-region-rollout-status"),
    row("--env x trigger --org demo", "no AWS region for environment 'x'",
        "environments.x.region", config=ENV_WITHOUT_REGION, env=NO_REGION,
        id="env-without-region-trigger"),
    row("--env y status", "no AWS credentials for environment 'y'", "aws configure",
        config=ENV_WITHOUT_CREDENTIALS, env=NO_CREDENTIALS, id="env-without-credentials-status"),
    # -- unreachable database: the operation failed (exit 1), not bad input -------------------
    row("orgs list", "cannot connect to PostgreSQL", DB_HINT, exit_code=1, env=CLOSED_PORT_DB,
        id="db-closed-port-orgs-list"),
    row("credits grant demo 10 --reason pilot", "cannot connect to PostgreSQL", DB_HINT,
        exit_code=1, env=MISSING_SOCKET_DB, id="db-missing-socket-credits-grant"),
    # -- cost-estimate -------------------------------------------------------------------------
    row("cost-estimate --orgs-per-day -5", "Invalid value for '--orgs-per-day'", None,
        usage=True, id="cost-estimate-negative-orgs-per-day"),
    row("cost-estimate --questions -1", "Invalid value for '--questions'", None, usage=True,
        id="cost-estimate-negative-questions"),
    row("cost-estimate --format xml", "--format must be one of", None,
        id="cost-estimate-unknown-format"),
]  # fmt: skip


def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table of the database, by schema-qualified name."""
    with psycopg.connect(db.url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') "
            "ORDER BY 1, 2"
        ).fetchall()
        counts = {}
        for schema, table in tables:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
            row = conn.execute(query).fetchone()
            assert row is not None
            counts[f"{schema}.{table}"] = int(row[0])
    return counts


@pytest.mark.parametrize("bad", CASES)
def test_bad_input_is_one_clean_error_and_changes_nothing(
    bad: Case,
    cli_env: Database,
    senso_home: Path,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_demo(cli_env)  # an org to act on, so "nothing changed" means something
    for name, text in bad.files.items():
        (tmp_path / name).write_text(text)
    if bad.config is not None:
        senso_home.mkdir(parents=True, exist_ok=True)
        (senso_home / "config.toml").write_text(bad.config)
    for var, value in bad.env.items():
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    before = row_counts(cli_env)

    result = runner.invoke(app, bad.argv(tmp_path))

    shown = f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {result.exception!r}\n{shown}"
    )
    assert "Traceback" not in result.output, shown
    assert result.exit_code == bad.exit_code, shown
    stderr_lines = result.stderr.splitlines()
    if bad.usage:
        assert stderr_lines[0].startswith("Usage: senso"), shown
        assert any(line.startswith("Try 'senso") for line in stderr_lines), shown
        assert bad.says in result.stderr, shown
    else:
        errors = [line for line in stderr_lines if line.startswith("error:")]
        assert len(errors) == 1, shown
        assert bad.says in errors[0], shown
        assert "error:" not in result.stdout, shown
        if bad.hint is not None:
            hints = [line for line in stderr_lines if line.startswith("hint:")]
            assert len(hints) == 1, shown
            assert bad.hint in hints[0], shown
    assert row_counts(cli_env) == before
