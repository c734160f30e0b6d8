"""`compare` over 1,000,000 question runs: wall time and peak memory.

    python bench/bench_compare.py [--orgs 250] [--days 10]

Builds a fresh database (on SENSO_DATABASE_URL's server when set, else an embedded PostgreSQL
with fsync off in a temporary home), fills it with INSERT ... SELECT generate_series:
orgs x days x both orchestrators (the old system's batches as product rows only, senso's with
its key rows in schema senso), 20 questions x 5 models x 2 locations = 200 cells per batch,
each cell with its evaluation, 0-2 competitors and a ledger entry; one org-day has a model
dropped on the Inngest side and one batch has no counterpart, so the report has a
discrepancy to find. Then times `compare` and
the table and HTML renderings. Target: under 10 s and under 2 GB peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations
from handlers.providers.base import PLACEHOLDER_TEXT
from senso_cli.embedded_pg import EmbeddedPostgres
from senso_cli.services.compare import compare
from senso_cli.services.compare.report import render

QUESTIONS, MODELS, LOCATIONS = 20, 5, 2
TARGET_S, TARGET_MB = 10.0, 2048

FILL = [
    """CREATE TEMP TABLE bench_params AS
       SELECT %(orgs)s::int AS orgs, %(days)s::int AS days, %(questions)s::int AS questions,
              %(models)s::int AS models, %(locations)s::int AS locations""",
    "INSERT INTO partners (partner_id, slug, name) VALUES (md5('partner')::uuid, 'bench', 'B')",
    """INSERT INTO orgs (org_id, name, partner_id)
       SELECT md5('org' || o)::uuid, 'Org ' || o, md5('partner')::uuid
       FROM bench_params, generate_series(1, orgs) o""",
    """INSERT INTO senso.org_aliases (slug, org_id)
       SELECT 'org-' || o, md5('org' || o)::uuid FROM bench_params, generate_series(1, orgs) o""",
    """INSERT INTO geo_questions (geo_question_id, org_id, question_text, type)
       SELECT md5('q' || o || '-' || q)::uuid, md5('org' || o)::uuid, 'Question ' || q, 'topic'
       FROM bench_params, generate_series(1, orgs) o, generate_series(1, questions) q""",
    """INSERT INTO geo_models (geo_model_id, org_id, name)
       SELECT md5('m' || o || '-' || m)::uuid, md5('org' || o)::uuid, 'model-' || m
       FROM bench_params, generate_series(1, orgs) o, generate_series(1, models) m""",
    """INSERT INTO org_locations (org_location_id, org_id, country_code)
       SELECT md5('l' || o || '-' || l)::uuid, md5('org' || o)::uuid,
              (ARRAY['US', 'GB', 'DE', 'FR'])[l]
       FROM bench_params, generate_series(1, orgs) o, generate_series(1, locations) l""",
    """CREATE TEMP TABLE bench_batches AS
       SELECT md5('b' || o || '-' || d || '-' || orch)::uuid AS batch_id, o, d, orch
       FROM bench_params, generate_series(1, orgs) o, generate_series(1, days) d,
            unnest(ARRAY['step_functions', 'inngest']) orch
       UNION ALL
       SELECT md5('b-1-0-step_functions')::uuid, 1, 0, 'step_functions'""",
    # The old system's batches are product rows only; senso's also have senso's key row.
    """INSERT INTO question_run_batches (batch_id, org_id, status, total_questions,
           completed_questions, is_latest, created_at, started_at, completed_at)
       SELECT batch_id, md5('org' || o)::uuid, 'completed', questions * models * locations,
              questions * models * locations, false,
              (current_date - d) + time '02:00', (current_date - d) + time '02:00',
              (current_date - d) + time '02:00'
              + make_interval(secs => 300 + (o * 37 + d * 11) %% 600)
       FROM bench_batches, bench_params""",
    """INSERT INTO senso.batches (batch_id, org_id, batch_day)
       SELECT batch_id, md5('org' || o)::uuid, current_date - d
       FROM bench_batches WHERE orch = 'step_functions'""",
    """CREATE TEMP TABLE bench_runs AS
       SELECT gen_random_uuid() AS run_id, b.batch_id, b.orch, b.o, b.d, q, m, l,
              (q * 7 + m * 3 + l + b.d) %% 50 = 0 AS failed
       FROM bench_params, bench_batches b, generate_series(1, questions) q,
            generate_series(1, models) m, generate_series(1, locations) l
       WHERE NOT (b.o = 1 AND b.d = 1 AND b.orch = 'inngest' AND m = models)""",
    # A failed cell: the old system stored a placeholder run; senso stores only its cell row.
    """INSERT INTO question_runs (question_run_id, batch_id, geo_question_id, model_id,
           location_id, run_model, run_country, response_text, total_cost, is_latest)
       SELECT run_id, batch_id, md5('q' || o || '-' || q)::uuid,
              md5('m' || o || '-' || m)::uuid, md5('l' || o || '-' || l)::uuid,
              'model-' || m, (ARRAY['US', 'GB', 'DE', 'FR'])[l],
              CASE WHEN failed THEN %(placeholder)s ELSE repeat('answer ', 20) END, 0.0015,
              false
       FROM bench_runs WHERE NOT (failed AND orch = 'step_functions')""",
    """INSERT INTO senso.batch_cells (batch_id, geo_question_id, model_id, location_id, position)
       SELECT batch_id, md5('q' || o || '-' || q)::uuid, md5('m' || o || '-' || m)::uuid,
              md5('l' || o || '-' || l)::uuid, 0
       FROM bench_runs WHERE orch = 'step_functions'""",
    """INSERT INTO senso.cell_runs (batch_id, geo_question_id, model_id, location_id,
           question_run_id, status, failure_reason)
       SELECT batch_id, md5('q' || o || '-' || q)::uuid, md5('m' || o || '-' || m)::uuid,
              md5('l' || o || '-' || l)::uuid, CASE WHEN NOT failed THEN run_id END,
              CASE WHEN failed THEN 'failed' ELSE 'completed' END,
              CASE WHEN failed THEN 'provider error' END
       FROM bench_runs WHERE orch = 'step_functions'""",
    """INSERT INTO org_evals (org_eval_id, question_run_id, org_id, mentioned, citation,
           sentiment, mention_text, mention_rank)
       SELECT gen_random_uuid(), run_id, md5('org' || o)::uuid, (q + m) %% 2 = 0,
              (q + m) %% 6 = 0,
              CASE WHEN (q + m) %% 2 = 0
                   THEN (ARRAY['positive', 'neutral', 'negative'])[1 + q %% 3] END,
              CASE WHEN (q + m) %% 2 = 0 THEN repeat('x', 5 + q) END,
              CASE WHEN (q + m) %% 2 = 0 THEN 1 + q %% 4 END
       FROM bench_runs WHERE NOT failed""",
    """INSERT INTO org_competitors (org_competitor_id, question_run_id, org_id, name)
       SELECT gen_random_uuid(), run_id, md5('org' || o)::uuid, 'Rival ' || c
       FROM bench_runs, generate_series(1, q %% 3) c WHERE NOT failed""",
    """INSERT INTO credit_ledger (entry_id, org_id, partner_id, payer_type, amount,
           source_type, source_id, metadata)
       SELECT gen_random_uuid(), md5('org' || o)::uuid, md5('partner')::uuid, 'ORG', -0.05,
              'question_run', run_id::text, jsonb_build_object('batch_id', batch_id::text)
       FROM bench_runs WHERE NOT (failed AND orch = 'step_functions')""",
    "ANALYZE",
]


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fill(db: Database, orgs: int, days: int) -> int:
    with db.connect() as conn:
        try:
            # The rows are consistent by construction: skip per-row foreign key triggers.
            conn.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
        for statement in FILL:
            conn.execute(
                statement.encode(),
                {
                    "orgs": orgs,
                    "days": days,
                    "questions": QUESTIONS,
                    "models": MODELS,
                    "locations": LOCATIONS,
                    "placeholder": PLACEHOLDER_TEXT,
                },
            )
        row = conn.execute("SELECT count(*) AS n FROM question_runs").fetchone()
        conn.commit()
    assert row is not None
    return int(row["n"])


def run(server_url: str, orgs: int, days: int) -> None:
    name = f"senso_bench_{uuid.uuid4().hex[:8]}"
    admin = make_conninfo(server_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(make_conninfo(server_url, dbname=name))
        apply_migrations(db)
        start = time.perf_counter()
        rows = fill(db, orgs, days)
        say(f"generated {rows:,} question runs in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        result = compare(db, datetime.now(UTC) - timedelta(days=days + 1))
        compared = time.perf_counter() - start
        start = time.perf_counter()
        sizes = {fmt: len(render(result, fmt)) for fmt in ("table", "html")}
        rendered = time.perf_counter() - start
        peak = peak_rss_mb()
        total = compared + rendered
        say(f"compare: {compared:.2f} s wall ({result.pair_count:,} pairs, {result.verdict})")
        say(f"render table + html: {rendered:.2f} s ({sizes['html'] / 1024:.0f} KiB of HTML)")
        say(f"peak RSS of this process: {peak:.0f} MB")
        met = total < TARGET_S and peak < TARGET_MB
        say(f"target < {TARGET_S:.0f} s and < {TARGET_MB} MB: {'met' if met else 'MISSED'}")
        say(result.summary())
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orgs", type=int, default=250)
    parser.add_argument("--days", type=int, default=10)
    args = parser.parse_args()
    external = os.environ.get("SENSO_DATABASE_URL")
    if external:
        run(external, args.orgs, args.days)
        return
    with tempfile.TemporaryDirectory() as home:
        server = EmbeddedPostgres(Path(home) / "senso", fsync=False)
        try:
            run(server.ensure_running(), args.orgs, args.days)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
