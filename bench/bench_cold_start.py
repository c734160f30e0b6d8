"""Cold start of the `senso` command, beside a bare `python -c pass`.

    python bench/bench_cold_start.py [--runs 10]

Each figure is a whole process, started fresh each run (so imports are paid every time, as
when an operator types the command or a shell completes one). Runs alternate between the
commands so a drift in the machine's speed touches all of them. The commands that need the
database (`status`, `orgs list`) run against the home given by SENSO_HOME (or senso's default),
whose embedded server is started once before timing; a run therefore measures senso, not
`initdb`. Prints min / median / max wall seconds, the median's ratio to `python -c pass`, and
the median CPU seconds (user + sys), which a loaded machine inflates less than wall time.

Bytecode is written as an installed senso would have it: PYTHONDONTWRITEBYTECODE is dropped
for these processes, so the warm-up run compiles each module once (with it set, and sources
newer than their cached bytecode, every run would compile senso's modules again).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SENSO = [sys.executable, "-m", "senso_cli"]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    # What any command that parses with Typer, draws a Rich table and reads PostgreSQL pays
    # before doing anything: the floor under `status` and `orgs list`.
    "import floor": [sys.executable, "-c", "import typer, rich.table, psycopg"],
    "senso --help": [*SENSO, "--help"],
    "senso status": [*SENSO, "status"],
    "senso orgs list": [*SENSO, "orgs", "list"],
    "senso trigger --help": [*SENSO, "trigger", "--help"],
}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + sys, from the OS's accounting) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env = dict(os.environ, COLUMNS="100")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("SENSO_HOME", str(Path.home() / ".local/share/senso"))
    # Warm-up: start the embedded server and fill the OS page cache once.
    for argv in COMMANDS.values():
        run_once(argv, env)
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            wall, cpu = run_once(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = statistics.median(walls["python -c pass"])
    print(
        f"{'command':<22} {'runs':>4} {'wall min':>9} {'median':>8} {'max':>8} "
        f"{'x pass':>7} {'cpu median':>11}"
    )
    for name, values in walls.items():
        median = statistics.median(values)
        print(
            f"{name:<22} {len(values):>4} {min(values):>8.3f}s {median:>7.3f}s "
            f"{max(values):>7.3f}s {median / base:>7.1f} {statistics.median(cpus[name]):>10.3f}s"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
