"""Twenty executions at once on one provider account: the fleet-wide budget against per-process
limiters, side by side.

Each execution is a separate process (as containers are) that runs the whole org workflow
(`run_inline`: balance check, matrix, usage, completion) for its own org, every geo model
routed to the `openai` provider, against one `FakeOpenAIServer` (bench_matrix's recording server,
in its own process) that enforces one RPM/TPM budget over a sliding window and answers beyond it
with 429 + Retry-After + x-ratelimit-* headers.

Two runs, same orgs, same budget:
- shared: every process's provider paces through `FleetLimiter` on one PostgreSQL database
  (senso.provider_budgets / provider_grants / provider_waiters);
- per-process: every process has its own `RateLimiter` with the account's full budget, which
  is what senso did before (each matrix task kept its own limiter).

Time is compressed as in bench_matrix: a "minute" lasts `--window` seconds for the server and
for the limiters. The processes start together (after each has imported and built its
services) so the run measures pacing, not interpreter start-up.

Reported per run: the steady-state throughput fraction (mean occupancy of the server's window
against the binding ceiling, bench_matrix's definition), the most requests any window held,
429s the server sent, failed cells (question_runs with status 'failed', with reasons), and the
fairness across orgs (spread of each org's finish time).

    .venv/bin/python -m bench.bench_fleet_limits --executions 20 --questions 4 --rpm 60 --window 6
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any

from pydantic import SecretStr

from bench.bench_matrix import (
    MODELS,
    OUTPUT_TOKENS,
    BenchDatabase,
    ServerProcess,
    failed_cells,
    max_in_any_window,
    org_yaml,
    window_occupancy,
)
from handlers.db.database import Database
from handlers.orgdata.importer import import_orgs, parse_org_document
from handlers.providers.build import build_registry
from handlers.providers.config import ModelRoute, OpenAIConfig, ProvidersConfig, RateLimitConfig
from handlers.providers.fleet_limiter import FleetLimiter, account_key
from handlers.providers.openai_responses import OpenAIResponsesProvider
from handlers.providers.ratelimit import RateLimiter
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import build_services
from handlers.workflow import run_inline
from senso_cli.settings import load_settings

API_KEY = "bench"


def execution(
    conn: Connection, db_url: str, base_url: str, org_id: str, options: dict[str, Any]
) -> None:
    """One execution's process: build services, say ready, wait for go, run the workflow."""
    db = Database(db_url)
    window = float(options["window"])
    rate = RateLimitConfig(
        rpm=options["rpm"], tpm=options["tpm"], max_concurrency=options["concurrency"]
    )
    config = ProvidersConfig(
        routes={model: ModelRoute(provider="openai") for model in MODELS},
        default_provider=None,
        openai=OpenAIConfig(
            api_key=SecretStr(API_KEY),
            base_url=base_url,
            timeout_s=30.0,
            expected_output_tokens=OUTPUT_TOKENS,
            rate_limit=rate,
        ),
    )
    registry = build_registry(config, simulated_seed=7)
    provider = registry.resolve(MODELS[0])
    assert isinstance(provider, OpenAIResponsesProvider)
    # RateLimitConfig counts per minute; the benchmark's minute is `window` seconds long.
    if options["shared"]:
        provider.limiter = FleetLimiter(
            lambda: db.connect(autocommit=True),
            account=account_key("openai", API_KEY),
            rpm=rate.rpm,
            tpm=rate.tpm,
            max_concurrency=rate.max_concurrency,
            window_s=window,
            max_poll_s=min(1.0, window / 6),
        )
    else:
        provider.limiter = RateLimiter(
            rpm=rate.rpm, tpm=rate.tpm, max_concurrency=rate.max_concurrency, window_s=window
        )
    with tempfile.TemporaryDirectory(prefix="senso-bench-home-") as home:
        settings = load_settings(
            environ={"SENSO_HOME": home}, flags={"matrix_concurrency": options["concurrency"]}
        ).settings
        services = build_services(settings, registry=registry)
        conn.send("ready")
        conn.recv()  # go
        started = time.monotonic()
        try:
            state = run_inline(db, {"org_id": org_id}, services=services)
            outcome: dict[str, Any] = {
                "batch_id": state["batch"]["batch_id"],
                "completed": state["matrix"]["completed"],
                "error": None,
            }
        except Exception as exc:  # noqa: BLE001 - reported as a figure, never hidden
            outcome = {"batch_id": None, "completed": 0, "error": f"{type(exc).__name__}: {exc}"}
        finally:
            services.close()
        outcome["wall_s"] = time.monotonic() - started
        outcome["limiter_waited_s"] = getattr(provider.limiter, "waited_s", 0.0)
        conn.send(outcome)


def run_once(args: argparse.Namespace, *, shared: bool) -> dict[str, Any]:
    server = ServerProcess(args)
    with BenchDatabase() as db, server as base_url:
        org_ids: list[str] = []
        for n in range(args.executions):
            text = org_yaml(args.questions).replace("slug: bench", f"slug: bench-{n}", 1)
            text = text.replace("name: Bench Credit Union", f"name: Bench CU {n}", 1)
            org_file = parse_org_document(text, source=f"bench-{n}.yaml")
            import_orgs(db, org_file)
            org_ids.append(str(OrgRepository(db).get(org_file.orgs[0].slug).org_id))
        options = {
            "rpm": args.rpm,
            "tpm": args.tpm,
            "window": args.window,
            "concurrency": args.concurrency,
            "shared": shared,
        }
        # Forked from this process, which has already imported everything: 20 spawned
        # interpreters importing the workflow at once took minutes on a loaded 2-core machine.
        # Each child is still its own process with its own connections, limiter and threads.
        context = multiprocessing.get_context("fork")
        pipes: list[Connection] = []
        processes = []
        for org_id in org_ids:
            parent, child = context.Pipe()
            process = context.Process(
                target=execution, args=(child, db.url, base_url, org_id, options), daemon=True
            )
            process.start()
            pipes.append(parent)
            processes.append(process)
        for pipe in pipes:
            if not pipe.poll(900) or pipe.recv() != "ready":
                raise RuntimeError("an execution process did not start")
        started = time.monotonic()
        for pipe in pipes:
            pipe.send("go")
        outcomes = [pipe.recv() for pipe in pipes]
        wall = time.monotonic() - started
        for process in processes:
            process.join(timeout=30)
        failures: dict[str, int] = {}
        for outcome in outcomes:
            if outcome["batch_id"]:
                for reason, count in failed_cells(db, outcome["batch_id"]):
                    failures[reason] = failures.get(reason, 0) + count

    assert server.stats is not None, "the fake server sent no figures"
    admissions = sorted(server.stats.admissions, key=lambda a: a.at)
    fraction, steady_from, steady_to = window_occupancy(
        admissions, window=args.window, rpm=args.rpm, tpm=args.tpm, step=args.window / 600
    )
    walls = [outcome["wall_s"] for outcome in outcomes]
    cells = args.executions * args.questions * len(MODELS) * 2
    return {
        "limiter": "shared (PostgreSQL)" if shared else "per process",
        "executions": args.executions,
        "cells": cells,
        "requests_sent": server.stats.request_count,
        "requests_admitted": len(admissions),
        "rate_limited_429": server.stats.rate_limited,
        "max_requests_in_any_window": max_in_any_window(admissions, args.window),
        "throughput_fraction": round(fraction, 4),
        "steady_state_s": round(steady_to - steady_from, 2),
        "wall_s": round(wall, 2),
        "completed_cells": sum(outcome["completed"] for outcome in outcomes),
        "failed_cells": sum(failures.values()),
        "failure_reasons": sorted(failures.items()),
        "execution_errors": [o["error"] for o in outcomes if o["error"]],
        "org_finish_s": {
            "min": round(min(walls), 2),
            "median": round(statistics.median(walls), 2),
            "max": round(max(walls), 2),
        },
    }


def print_side_by_side(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"{args.executions} executions x {args.questions} questions x {len(MODELS)} models x 2 "
        f"locations; budget {args.rpm} requests / {args.tpm} tokens per {args.window:g} s window; "
        f"concurrency {args.concurrency} per execution; latency median {args.latency_ms:g} ms; "
        f"nproc {os.cpu_count()}, python {platform.python_version()}"
    )
    rows = [
        ("limiter", "limiter"),
        ("requests sent / admitted", None),
        ("429s received", "rate_limited_429"),
        ("max requests in any window", "max_requests_in_any_window"),
        ("throughput fraction (steady state)", "throughput_fraction"),
        ("steady state measured (s)", "steady_state_s"),
        ("wall time (s)", "wall_s"),
        ("completed / failed cells", None),
        ("org finish min / median / max (s)", None),
    ]
    width = max(len(label) for label, _ in rows)
    for label, key in rows:
        cells = []
        for result in results:
            if key is not None:
                cells.append(str(result[key]))
            elif label.startswith("requests"):
                cells.append(f"{result['requests_sent']} / {result['requests_admitted']}")
            elif label.startswith("completed"):
                cells.append(f"{result['completed_cells']} / {result['failed_cells']}")
            else:
                finish = result["org_finish_s"]
                cells.append(f"{finish['min']} / {finish['median']} / {finish['max']}")
        print(f"{label:<{width}}  " + "".join(f"{cell:<28}" for cell in cells))
    for result in results:
        for reason, count in result["failure_reasons"]:
            print(f"  [{result['limiter']}] failed x{count}: {reason[:120]}")
        for error in result["execution_errors"]:
            print(f"  [{result['limiter']}] execution error: {error[:160]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=20, help="processes at once")
    parser.add_argument("--questions", type=int, default=4, help="per org (x3 models x2 locs)")
    parser.add_argument("--rpm", type=int, default=60, help="requests allowed per window")
    parser.add_argument("--tpm", type=int, default=20_000, help="tokens allowed per window")
    parser.add_argument("--window", type=float, default=6.0, help="the compressed minute (s)")
    parser.add_argument("--concurrency", type=int, default=4, help="cells in flight per org")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="median answer latency")
    parser.add_argument("--seed", type=int, default=1, help="seed of the latency draws")
    parser.add_argument(
        "--only", choices=["shared", "per-process"], help="run one side instead of both"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sides = [True, False] if args.only is None else [args.only == "shared"]
    results = [run_once(args, shared=shared) for shared in sides]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_side_by_side(results, args)
    shared = next((r for r in results if r["limiter"].startswith("shared")), None)
    if shared is None:
        return 0
    met = shared["throughput_fraction"] >= 0.95 and shared["failed_cells"] == 0
    return 0 if met and not math.isnan(shared["throughput_fraction"]) else 1


if __name__ == "__main__":
    sys.exit(main())
