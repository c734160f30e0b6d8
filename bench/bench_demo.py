"""Wall time of the demo org evaluation end to end on the local runtime.

    python bench/bench_demo.py [--runs 3]

Each run: a fresh database on one embedded PostgreSQL, `dev seed`, then the real asl/ document
on the local runtime with the simulated provider (20 questions x 3 models x 2 locations = 120
cells), database work included. Target: under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations
from handlers.orgdata.importer import demo_org_path, import_orgs, load_org_file
from senso_cli.embedded_pg import EmbeddedPostgres
from senso_cli.local.runtime import LocalRuntime
from senso_cli.services.trigger import start_local
from senso_cli.settings import load_settings


def one_run(server_url: str, home: Path) -> tuple[float, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(make_conninfo(server_url, dbname="postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(make_conninfo(server_url, dbname=name))
    start = time.perf_counter()
    apply_migrations(db)
    import_orgs(db, load_org_file(demo_org_path()))
    settings = load_settings(environ={"SENSO_HOME": str(home)}).settings
    runtime = LocalRuntime(db, settings)
    started = start_local(runtime, "demo")
    result = runtime.run(started.started.execution_arn)
    return time.perf_counter() - start, result.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedPostgres(Path(folder) / "pg")
        url = server.ensure_running()
        try:
            times = []
            for _ in range(args.runs):
                elapsed, status = one_run(url, Path(folder) / "home")
                assert status == "SUCCEEDED", status
                times.append(elapsed)
        finally:
            server.stop()
    print("demo org evaluation (120 cells, simulated provider, migrations + seed included)")
    print(
        f"runs: {len(times)}  min {min(times):.2f} s  median {statistics.median(times):.2f} s"
        f"  max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
