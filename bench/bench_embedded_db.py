"""Embedded PostgreSQL: cold start (initdb + start) and warm reuse, as `senso` commands see it.

    python bench/bench_embedded_db.py [--runs 5]

Cold: a fresh SENSO_HOME, so the server is initialised and started. Warm: the server is up and
`ensure_running()` only checks it. Restart: stopped server, data kept. Prints min/median/max.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from senso_cli.embedded_pg import EmbeddedPostgres


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold, warm, restart = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as home:
            server = EmbeddedPostgres(Path(home) / "senso")
            cold.append(timed(server.ensure_running))
            warm.extend(timed(server.ensure_running) for _ in range(20))
            server.stop()
            restart.append(timed(server.ensure_running))
            server.stop()
    print(f"{'phase':<10} {'runs':>5} {'min':>9} {'median':>9} {'max':>9}")
    for name, values in (("cold", cold), ("warm", warm), ("restart", restart)):
        print(
            f"{name:<10} {len(values):>5} {min(values) * 1000:>7.1f}ms "
            f"{statistics.median(values) * 1000:>7.1f}ms {max(values) * 1000:>7.1f}ms"
        )


if __name__ == "__main__":
    main()
