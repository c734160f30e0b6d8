"""`compare` over synthetic batches of both orchestrators written straight into PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from handlers.db.database import Database
from senso_cli.services.compare import compare
from senso_cli.services.compare.report import FORMATS, render
from tests.functional.migration.synthetic import make_org, write_batch

TODAY = datetime.now(UTC).date()
DAY1 = TODAY - timedelta(days=2)
DAY2 = TODAY - timedelta(days=1)
SINCE = datetime.now(UTC) - timedelta(days=7)


def shadow(db: Database, org_slug: str, days: tuple[date, ...] = (DAY1, DAY2), **inngest: object):
    org = make_org(db, org_slug)
    for day in days:
        write_batch(db, org, day, "step_functions")
        write_batch(db, org, day, "inngest", **inngest)  # type: ignore[arg-type]
    return org


def test_two_identical_runs_pass(db: Database) -> None:
    shadow(db, "acme")
    shadow(db, "globex")
    result = compare(db, SINCE)
    assert result.verdict == "PASS"
    assert result.pair_count == 4
    assert result.failed_metrics == []
    assert result.cohorts.sides["inngest"].cells == 4 * 8
    assert result.cohorts.repeat_runs == 4
    assert result.cohorts.flags == []
    assert result.summary().startswith("PASS: 4 paired batches")


def test_dropped_model_cells_fail_and_name_metric_org_and_model(db: Database) -> None:
    shadow(db, "acme")
    org = make_org(db, "initech")
    write_batch(db, org, DAY2, "step_functions")
    write_batch(db, org, DAY2, "inngest", drop_model="claude")
    result = compare(db, SINCE)
    assert result.verdict == "FAIL"
    assert "cells" in result.failed_metrics
    assert "credits" in result.failed_metrics
    assert result.mismatched_orgs("cells") == ["initech"]
    cells = next(s for s in result.paired.summaries if s.metric == "cells")
    assert (cells.mismatches, cells.max_abs_diff, cells.max_rel_diff) == (1, 4.0, 0.5)
    assert cells.samples[0]["org"] == "initech"
    models = result.paired.model_diffs.to_dict("records")
    assert models == [
        {
            "org": "initech",
            "batch_day": str(DAY2),
            "model": "claude",
            "step_functions": 4,
            "inngest": 0,
        }
    ]
    table = render(result, "table")
    assert "FAIL" in table and "initech" in table and "claude" in table
    assert "cells" in result.summary() and "initech" in result.summary()


def test_small_differences_within_tolerance_pass(db: Database) -> None:
    org = make_org(db, "acme", questions=60)
    write_batch(db, org, DAY1, "step_functions")
    # One unmentioned cell without competitors missing: 119 vs 120 cells, a 0.83% difference.
    write_batch(db, org, DAY1, "inngest", skip=frozenset({(1, 0)}))
    assert compare(db, SINCE, tolerance=0.01).verdict == "PASS"
    strict = compare(db, SINCE, tolerance=0.005)
    assert strict.verdict == "FAIL"
    assert {"cells", "credits", "visibility"} <= set(strict.failed_metrics)
    assert "mean_rank" not in strict.failed_metrics
    one_failure = make_org(db, "globex")
    write_batch(db, one_failure, DAY1, "step_functions")
    write_batch(db, one_failure, DAY1, "inngest", fail_cells=1)
    assert "failed_cells" in compare(db, SINCE, org="globex").failed_metrics


def test_duration_is_informational(db: Database) -> None:
    shadow(db, "acme", days=(DAY1,), duration=timedelta(hours=3))
    result = compare(db, SINCE)
    assert result.verdict == "PASS"
    duration = next(s for s in result.paired.summaries if s.metric == "duration_s")
    assert duration.informational and duration.max_abs_diff == pytest.approx(3 * 3600 - 300)


def test_only_on_one_side_batches_are_listed(db: Database) -> None:
    shadow(db, "acme", days=(DAY1,))
    lonely = make_org(db, "umbrella")
    write_batch(db, lonely, DAY2, "inngest")
    result = compare(db, SINCE)
    only = result.paired.only_one_side.to_dict("records")
    assert [(r["org"], r["orchestrator"]) for r in only] == [("umbrella", "inngest")]
    assert result.verdict == "PASS"
    assert "umbrella" in render(result, "markdown")


def test_org_filter_and_window(db: Database) -> None:
    shadow(db, "acme")
    shadow(db, "globex", sentiment_shift=1)
    assert compare(db, SINCE).verdict == "FAIL"
    assert compare(db, SINCE, org="acme").verdict == "PASS"
    old = compare(db, SINCE - timedelta(days=30), until=SINCE - timedelta(days=20))
    assert old.verdict == "NO DATA" and not old.passed


def test_cohort_difference_beyond_repeat_run_noise_is_flagged(db: Database) -> None:
    for slug in ("a1", "a2"):
        org = make_org(db, slug)
        for day in (DAY1, DAY2):
            write_batch(db, org, day, "step_functions")
    for slug in ("b1", "b2"):
        org = make_org(db, slug)
        for day in (DAY1, DAY2):
            write_batch(db, org, day, "inngest", fail_cells=4)
    result = compare(db, SINCE)
    assert result.verdict == "NO DATA"
    flagged = {flag.metric for flag in result.cohorts.flags}
    assert {"failed_cells", "credits"} <= flagged


def test_every_format_renders(db: Database) -> None:
    shadow(db, "acme")
    org = make_org(db, "initech")
    write_batch(db, org, DAY2, "step_functions")
    write_batch(db, org, DAY2, "inngest", drop_model="claude")
    result = compare(db, SINCE)
    outputs = {fmt: render(result, fmt) for fmt in FORMATS}
    data = json.loads(outputs["json"])
    assert data["verdict"] == "FAIL"
    assert data["sides"]["step_functions"]["batches"] == 3
    cells = next(m for m in data["paired"]["metrics"] if m["metric"] == "cells")
    assert cells["orgs"] == ["initech"] and cells["passed"] is False
    assert "<svg" in outputs["html"] and "initech" in outputs["html"]
    assert "http" not in outputs["html"].replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert outputs["csv"].splitlines()[0].startswith("section,org,batch_day,metric")
    assert "paired,initech," in outputs["csv"]
    assert outputs["markdown"].startswith("# compare")


def test_cli_exit_codes(cli_env: Database, runner: CliRunner, cli: typer.Typer) -> None:
    shadow(cli_env, "acme")
    passed = runner.invoke(cli, ["compare", "--since", "7d"])
    assert passed.exit_code == 0, passed.output
    assert "PASS: 2 paired batches" in passed.output

    org = make_org(cli_env, "initech")
    write_batch(cli_env, org, DAY2, "step_functions")
    write_batch(cli_env, org, DAY2, "inngest", drop_model="claude")
    failed = runner.invoke(cli, ["compare", "--since", "7d", "--format", "json"])
    assert failed.exit_code == 1
    assert json.loads(failed.output)["verdict"] == "FAIL"
    only_acme = runner.invoke(cli, ["compare", "--org", "acme", "--tolerance", "0.5%"])
    assert only_acme.exit_code == 0, only_acme.output


def test_cli_bad_input_exits_2(cli_env: Database, runner: CliRunner, cli: typer.Typer) -> None:
    bad_since = runner.invoke(cli, ["compare", "--since", "last tuesday"])
    assert bad_since.exit_code == 2
    assert "Cannot read --since value 'last tuesday'" in bad_since.output
    assert "30s, 10m, 1h, 2d or 1w" in bad_since.output and "ISO-8601" in bad_since.output
    bad_until = runner.invoke(cli, ["compare", "--until", "soon"])
    assert bad_until.exit_code == 2 and "--until" in bad_until.output
    for tolerance in ("abc", "5", "-1%", "150%"):
        result = runner.invoke(cli, ["compare", "--tolerance", tolerance])
        assert result.exit_code == 2, (tolerance, result.output)
        assert "tolerance" in result.output
    unknown = runner.invoke(cli, ["compare", "--org", "nope"])
    assert unknown.exit_code == 2 and "no org 'nope'" in unknown.output
    bad_format = runner.invoke(cli, ["compare", "--format", "pdf"])
    assert bad_format.exit_code == 2


def test_cli_writes_output_file(
    cli_env: Database, runner: CliRunner, cli: typer.Typer, tmp_path: object
) -> None:
    from pathlib import Path

    shadow(cli_env, "acme")
    target = Path(str(tmp_path)) / "report.html"
    result = runner.invoke(cli, ["compare", "--format", "html", "--output", str(target)])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert "<svg" in html
    assert f"wrote {target}" in result.output and "PASS" in result.output
    # When, where and by which senso: a report passed around must say where it came from.
    assert re.search(r"generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by senso \S+", html)
    assert "environment &#x27;local&#x27;, database " in html
    document = json.loads(runner.invoke(cli, ["compare", "--format", "json"]).output)
    assert document["generated"]["environment"] == "local"
    assert document["generated"]["version"].startswith("senso ")


def test_cohort_cost_is_per_org_and_day(db: Database) -> None:
    # One org run on two days by each side: a cost "per org" would double it.
    org = make_org(db, "steady")
    for day in (DAY1, DAY2):
        write_batch(db, org, day, "step_functions")
        write_batch(db, org, day, "inngest")
    result = compare(db, SINCE)
    sides = result.cohorts.sides
    one_batch = result.paired.pairs["credits__step_functions"].iloc[0]
    assert one_batch > 0
    assert sides["step_functions"].cost_per_org_day == pytest.approx(one_batch)
    assert sides["inngest"].cost_per_org_day == pytest.approx(one_batch)
