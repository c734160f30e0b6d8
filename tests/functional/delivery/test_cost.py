"""`senso cost-estimate`: the arithmetic line by line (expected values computed by hand from the
pricing file), every line traced to a pricing key with a source and a date, and --from-db."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from psycopg.types.json import Jsonb
from typer.testing import CliRunner

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from senso_cli.local.definition import load_definition
from senso_cli.services.cost.estimate import CostLine, Estimate, estimate
from senso_cli.services.cost.pricing import load_pricing
from senso_cli.services.cost.workload import build_workload, measure, success_path


def _estimate(orgs: float = 1500, q: int = 10, m: int = 3, loc: int = 1) -> Estimate:
    book = load_pricing()
    work = build_workload(
        book, load_definition(), orgs_per_day=orgs, questions=q, models=m, locations=loc
    )
    return estimate(book, work)


def _line(result: Estimate, key: str, item: str | None = None) -> CostLine:
    found = [
        line for line in result.lines if line.key == key and (item is None or item in line.item)
    ]
    assert len(found) == 1, [line.item for line in found]
    return found[0]


def test_the_success_path_is_counted_from_the_real_asl() -> None:
    path = success_path(load_definition())
    assert [name for name, _ in path] == [
        "GetOrCreateBatch", "CheckIfBatchCompleted", "CheckBalance", "StartBatchProcessing",
        "RunQuestionMatrixWithEvaluation", "TrackUsage", "CompleteBatch",
    ]  # fmt: skip


def test_the_arithmetic_for_the_old_plans_workload() -> None:
    result = _estimate()
    # 1,500 orgs x 30 days = 45,000 executions; 10 x 3 x 1 = 30 cells each = 1,350,000 cells.
    # Transitions: 7 states + 6 Tasks x 5% retries = 7.3 each; 328,500 - 4,000 free = 324,500.
    sfn = _line(result, "stepfunctions.state_transition")
    assert sfn.quantity == pytest.approx(324_500)
    assert sfn.monthly_usd == pytest.approx(8.1125)
    # Fargate: 5 small steps at 30 + 15 = 45 s, billed the 60 s minimum; the matrix 30 + 30 x 12
    # / 8 = 75 s; (300 + 75) x 1.05 = 393.75 s per execution. 45,000 x 393.75 + 30 dispatcher
    # runs x 120 s = 17,722,350 s = 4,922.875 task-hours at 1 vCPU and 2 GB (ARM64).
    vcpu = _line(result, "fargate.arm64.vcpu_hour")
    assert vcpu.quantity == pytest.approx(4922.875)
    assert vcpu.monthly_usd == pytest.approx(4922.875 * 0.03238)  # $159.40
    assert _line(result, "fargate.arm64.gb_hour").monthly_usd == pytest.approx(9845.75 * 0.00356)
    # Task starts: 45,000 x 6 x 1.05 + 30 = 283,530; 7 secret reads each.
    assert _line(result, "secretsmanager.api_call").monthly_usd == pytest.approx(
        283_530 * 7 * 0.000005
    )
    # NAT: 283,530 pulls x 0.15 GB + 1,350,000 cells x 200 KB = 42,529.5 + 270 GB.
    assert _line(result, "nat.gb_processed").monthly_usd == pytest.approx(42_799.5 * 0.045)
    assert _line(result, "nat.gateway_hour").monthly_usd == pytest.approx(32.40)
    # Logs: 283,530 x 20 KB + 1,350,000 x 2 KB = 8.3706 GB; kept 365 of 30 days.
    assert _line(result, "logs.ingest_gb").quantity == pytest.approx(8.3706)
    assert _line(result, "logs.storage_gb_month").quantity == pytest.approx(8.3706 * 365 / 30)
    # Providers: $0.0015 per answer; competitor extraction on every cell with gpt-4.1-mini.
    assert _line(result, "brightdata.record").monthly_usd == pytest.approx(2025.0)
    competitor = _line(result, "openai.gpt-4.1-mini.input_token", "Competitor")
    assert competitor.monthly_usd == pytest.approx(1_350_000 * 1500 * 0.0000004)  # $810
    verification = _line(result, "openai.gpt-4.1.output_token")
    assert verification.monthly_usd == pytest.approx(1_350_000 * 0.3 * 200 * 0.000008)  # $648
    # Inngest: 45,000 runs x 7 executions + 30 cron runs x 1,501 = 360,030 < 1M included.
    assert _line(result, "inngest.pro.execution_overage").quantity == 0
    assert result.total("inngest") == pytest.approx(75 + 720 * 0.04048 + 1440 * 0.004445)
    totals = result.totals
    assert totals["difference"] == pytest.approx(totals["stack"] - totals["inngest"])


def test_inngest_overage_starts_above_the_included_executions() -> None:
    # 5,000 orgs: 150,000 runs x 7 + 30 x 5,001 = 1,200,030 executions, 200,030 beyond 1M.
    overage = _line(_estimate(orgs=5000), "inngest.pro.execution_overage")
    assert overage.quantity == pytest.approx(200_030)
    assert overage.monthly_usd == pytest.approx(200_030 * 0.00005)


def test_every_line_traces_to_a_dated_sourced_price(
    runner: CliRunner, cli: typer.Typer, senso_home: Path
) -> None:
    result = runner.invoke(cli, ["cost-estimate", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["workload"]["orgs_per_day"] == 1500
    book = load_pricing()
    for line in report["lines"]:
        price = book.price(line["key"])
        assert price.source.startswith(("https://", "AI-Template-SDK/")), price
        assert price.as_of == "2026-11-29"
        assert line["unit_usd"] == price.amount
        assert line["price_assumption"] == price.assumption
    assumed_prices = {line["key"] for line in report["lines"] if line["price_assumption"]}
    assert assumed_prices == {
        "brightdata.record", "inngest.pro.month", "inngest.pro.execution_overage"
    }  # fmt: skip
    assert {line["section"] for line in report["lines"]} == {"stack", "providers", "inngest"}


def test_table_and_markdown_name_the_keys(
    runner: CliRunner, cli: typer.Typer, senso_home: Path
) -> None:
    table = runner.invoke(cli, ["cost-estimate", "--orgs-per-day", "1500"])
    assert table.exit_code == 0, table.output
    assert "stepfunctions.state_transition" in table.stdout
    assert "Step Functions stack $2,211.25 vs Inngest plan $110.55" in table.stdout
    markdown = runner.invoke(cli, ["cost-estimate", "--format", "markdown", "--models", "1"])
    assert markdown.exit_code == 0
    assert "1,500 orgs/day, 10 cells per org" in markdown.stdout
    assert "| Step Functions state transitions | 324,500 |" in markdown.stdout
    assert "`fargate.arm64.vcpu_hour`" in markdown.stdout
    assert "price assumed" in markdown.stdout


def test_a_bad_format_is_bad_usage(runner: CliRunner, cli: typer.Typer) -> None:
    result = runner.invoke(cli, ["cost-estimate", "--format", "xml"])
    assert result.exit_code == 2
    assert "--format must be one of table, json, markdown" in result.output


def _history(db: Database, start: datetime) -> None:
    """One local execution: GetOrCreateBatch failed once (10 s) then succeeded (8 s)."""
    arn = "arn:aws:states:local:000000000000:execution:org-evaluation-workflow:one"
    events = [
        ("TaskStateEntered", 0, {"stateEnteredEventDetails": {"name": "GetOrCreateBatch"}}),
        ("TaskScheduled", 0, {}),
        ("TaskFailed", 10, {}),
        ("TaskScheduled", 12, {}),
        ("TaskSucceeded", 20, {}),
        ("TaskStateEntered", 21, {"stateEnteredEventDetails": {"name": "CheckBalance"}}),
        ("TaskScheduled", 21, {}),
        ("TaskSucceeded", 25, {}),
    ]
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO senso.sfn_executions (execution_arn, name, state_machine_arn, status, "
            "input, start_date) VALUES (%s, 'one', 'sm', 'SUCCEEDED', '{}', %s)",
            (arn, start),
        )
        for event_id, (kind, offset, details) in enumerate(events, start=1):
            conn.execute(
                "INSERT INTO senso.sfn_history_events (execution_arn, event_id, event_type, "
                "timestamp, details) VALUES (%s, %s, %s, %s, %s)",
                (arn, event_id, kind, start + timedelta(seconds=offset), Jsonb(details)),
            )


def test_from_db_measures_step_times_and_retries(db: Database) -> None:
    _history(db, datetime.now(UTC) - timedelta(days=1))
    found = measure(db, datetime.now(UTC) - timedelta(days=30))
    assert found.executions == 1
    assert found.step_seconds == {"GetOrCreateBatch": 9.0, "CheckBalance": 4.0}
    assert found.retry_rate == pytest.approx(0.5)  # 3 attempts for 2 states entered
    book = load_pricing()
    work = build_workload(book, load_definition(), orgs_per_day=1500, measured=found)
    assert work.task_seconds["GetOrCreateBatch"] == 30 + 9.0  # start-up assumed, work measured
    assert work.retry_rate == 0.5
    assert {"seconds:GetOrCreateBatch", "retry_rate"} <= set(work.measured)
    assert _line(estimate(book, work), "fargate.arm64.vcpu_hour").quantity_basis == "measured"


def test_from_db_through_the_cli(runner: CliRunner, cli: typer.Typer, cli_env: Database) -> None:
    _history(cli_env, datetime.now(UTC) - timedelta(hours=2))
    result = runner.invoke(cli, ["cost-estimate", "--from-db", "--since", "1d", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["workload"]["retry_rate"] == 0.5
    assert any("measured over 1 executions" in note for note in report["notes"])


def test_provider_prices_come_from_the_one_table_the_workflow_charges_by(tmp_path: Path) -> None:
    from handlers.evaluation.pricing import call_cost
    from handlers.providers.pricing import TABLE, openai_answer_cost

    book = load_pricing()
    mini = TABLE.tokens["gpt-4.1-mini"]
    per_token = book.usd("openai.gpt-4.1-mini.input_token")
    assert per_token * 1e6 == pytest.approx(mini.input_per_million)
    assert book.usd("brightdata.record") == TABLE.fees["brightdata.record"]
    # What the estimate multiplies is what an extraction call and an answer are charged at.
    assert call_cost("gpt-4.1-mini", 1_000_000, 0) == pytest.approx(mini.input_per_million)
    assert openai_answer_cost("gpt-4.1-mini", 0, 1_000_000, web_searches=0) == pytest.approx(
        mini.output_per_million
    )
    # A second copy of a provider price in the pricing file is refused, not silently used.
    text = (Path(book.path.split(" and ")[0])).read_text()
    doubled = tmp_path / "pricing.toml"
    doubled.write_text(
        text + '\n[prices."brightdata.record"]\nusd = 0.002\nunit = "record"\n'
        'source = "https://example.com"\nas_of = "2026-12-01"\n'
    )
    with pytest.raises(InvalidInputError, match="provider price"):
        load_pricing(doubled)
