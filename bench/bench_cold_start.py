"""Cold start of the `senso` command, beside a bare `python -c pass`.

    python bench/bench_cold_start.py [--runs 10]

Each figure is a whole process, started fresh each run (so imports are paid every time, as
when an operator types the command or a shell completes one). Runs alternate between the
commands so a drift in the machine's speed touches all of them. The commands that need the
database (`status`, `orgs list`) run against the home given by SENSO_HOME (or senso's default),
whose embedded server is started once before timing; a run therefore measures senso, not
`initdb`. Prints min / median / max wall seconds and the median's ratio to `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SENSO = [sys.executable, "-m", "senso_cli"]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "senso --help": [*SENSO, "--help"],
    "senso status": [*SENSO, "status"],
    "senso orgs list": [*SENSO, "orgs", "list"],
    "senso trigger --help": [*SENSO, "trigger", "--help"],
}


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    env = dict(os.environ, COLUMNS="100")
    env.setdefault("SENSO_HOME", str(Path.home() / ".local/share/senso"))
    # Warm-up: start the embedded server and fill the OS page cache once.
    for argv in COMMANDS.values():
        run_once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            times[name].append(run_once(argv, env))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<22} {'runs':>4} {'min':>8} {'median':>8} {'max':>8} {'x pass':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:<22} {len(values):>4} {min(values):>7.3f}s {median:>7.3f}s "
            f"{max(values):>7.3f}s {median / base:>7.1f}"
        )


if __name__ == "__main__":
    main()
