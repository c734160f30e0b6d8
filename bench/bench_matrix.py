"""Matrix throughput against a rate-limited, OpenAI-compatible local server.

The whole org workflow (`run_inline`: balance check, matrix, usage, completion) runs through the
real code path, with every geo model routed to the `openai` provider, against the tests'
`FakeOpenAIServer`. That server enforces an RPM and a TPM ceiling over a sliding window, answers
beyond them with 429 + Retry-After + x-ratelimit-* headers like api.openai.com, and draws each
answer's latency from a lognormal distribution with a slow tail.

Time is compressed: a "minute" lasts `--window` seconds on both sides (the server's window and the
provider's `RateLimiter.window_s`), so `--rpm 60 --window 6` is a 600 RPM account seen at ten
times the speed and a 240-cell run takes about 20 s instead of minutes.

What it reports:
- throughput fraction: over the steady state (from one window after the first admitted request
  to the last one), the mean occupancy of the server's sliding window relative to the binding
  ceiling, max(requests / rpm, tokens / tpm). 1.0 means the client kept the server's window full
  the whole time, whether it sent in bursts or smoothly;
- 429s the server sent, failed cells (question_runs with status 'failed'), wall times.

Run from the repository root:

    .venv/bin/python -m bench.bench_matrix --cells 240 --rpm 60 --tpm 10000 --window 6

The database is an embedded PostgreSQL in a temporary folder unless SENSO_DATABASE_URL names one
(the benchmark creates and drops its own database there).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from pydantic import SecretStr

from handlers.db.database import Database
from handlers.db.migrate import apply_migrations
from handlers.orgdata.importer import import_orgs, parse_org_document
from handlers.providers.build import build_registry
from handlers.providers.config import (
    ModelRoute,
    OpenAIConfig,
    ProvidersConfig,
    RateLimitConfig,
)
from handlers.providers.openai_responses import OpenAIResponsesProvider
from handlers.repositories.orgs import OrgRepository
from handlers.runtime import build_services
from handlers.workflow import run_inline
from senso_cli.embedded_pg import EmbeddedPostgres
from senso_cli.settings import load_settings
from tests.fakes import FakeOpenAIServer, Reply, Request

MODELS = ["gpt-4.1", "gpt-4.1-mini", "gpt-4o"]
LOCATIONS = ["US", "{country: CA, region: Ontario}"]
OUTPUT_TOKENS = 120
TOPICS = [
    "car loans", "savings accounts", "mortgages for first-time buyers", "mobile banking",
    "student checking", "credit cards with cash back", "small business loans", "HELOCs",
    "certificates of deposit", "retirement accounts",
]  # fmt: skip


@dataclass
class Admission:
    """One request the server admitted (after its rate check), on the monotonic clock."""

    at: float
    tokens: int


class LatencyModel:
    """Lognormal latency around a median with a slow tail; records every admission.

    The server calls it once per admitted request, right after charging its window, so its call
    times are the server's admission times: exactly what the ceiling is enforced on.
    """

    def __init__(self, median_ms: float, *, seed: int) -> None:
        self._median_s = median_ms / 1000
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.admissions: list[Admission] = []

    def __call__(self, request: Request) -> float:
        now = time.monotonic()
        body = request.json()
        tokens = max(1, math.ceil(len(str(body.get("input", ""))) / 4)) + OUTPUT_TOKENS
        with self._lock:
            self.admissions.append(Admission(now, tokens))
            # sigma 0.5 puts the 95th percentile at ~2.3x the median; 2% of answers are a
            # further 4x slower, like web-search answers that fetch many pages.
            latency = self._median_s * self._rng.lognormvariate(0.0, 0.5)
            if self._rng.random() < 0.02:
                latency *= 4
        return latency


def org_yaml(questions: int) -> str:
    lines = [
        "slug: bench",
        "name: Bench Credit Union",
        "partner: {slug: bench-partner, name: Bench Partner}",
        "websites: [https://benchcu.example]",
        "questions:",
    ]
    for n in range(questions):
        topic = TOPICS[n % len(TOPICS)]
        lines.append(f"  - Which credit union is best for {topic}? (variant {n + 1})")
    lines.append(f"models: [{', '.join(MODELS)}]")
    lines.append(f"locations: [{', '.join(LOCATIONS)}]")
    lines.append("credits: 100000")
    return "\n".join(lines) + "\n"


def window_occupancy(
    admissions: list[Admission], *, window: float, rpm: int, tpm: int | None, step: float
) -> tuple[float, float, float]:
    """(mean occupancy of the binding limit over the steady state, its start, its end)."""
    times = [a.at for a in admissions]
    cumulative = [0]
    for a in admissions:
        cumulative.append(cumulative[-1] + a.tokens)
    start, end = times[0] + window, times[-1]
    if end <= start:
        return math.nan, start, end
    samples: list[float] = []
    t = start
    while t <= end:
        # The server's window at t holds the admissions in (t - window, t].
        lo = bisect.bisect_right(times, t - window)
        hi = bisect.bisect_right(times, t)
        occupancy = (hi - lo) / rpm
        if tpm is not None:
            occupancy = max(occupancy, (cumulative[hi] - cumulative[lo]) / tpm)
        samples.append(occupancy)
        t += step
    return sum(samples) / len(samples), start, end


def max_in_any_window(admissions: list[Admission], window: float) -> int:
    times = [a.at for a in admissions]
    return max(
        (bisect.bisect_right(times, t) - bisect.bisect_right(times, t - window) for t in times),
        default=0,
    )


class BenchDatabase:
    """A fresh database on SENSO_DATABASE_URL's server, or on an embedded PostgreSQL."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="senso-bench-")
        self._embedded: EmbeddedPostgres | None = None
        self._server_url = os.environ.get("SENSO_DATABASE_URL")
        self._name = f"bench_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> Database:
        if not self._server_url:
            self._embedded = EmbeddedPostgres(Path(self._tmp.name) / "pg", fsync=False)
            self._server_url = self._embedded.ensure_running()
        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self._name}"')
        db = Database(make_conninfo(self._server_url, dbname=self._name))
        apply_migrations(db)
        return db

    def __exit__(self, *exc_info: object) -> None:
        try:
            with psycopg.connect(self._admin_url(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
        finally:
            if self._embedded is not None:
                self._embedded.stop()
            self._tmp.cleanup()

    def _admin_url(self) -> str:
        assert self._server_url is not None
        return make_conninfo(self._server_url, dbname="postgres")


def failed_cells(db: Database, batch_id: str) -> list[tuple[str, int]]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT failure_reason, count(*) AS n FROM senso.cell_runs"
            " WHERE batch_id = %s AND status = 'failed' GROUP BY failure_reason",
            (batch_id,),
        ).fetchall()
    return [(str(row["failure_reason"]), int(row["n"])) for row in rows]


@dataclass
class ServerStats:
    request_count: int
    rate_limited: int
    admissions: list[Admission]
    rejections: list[float]


class RecordingServer(FakeOpenAIServer):
    """The fake, also noting when it rejected a request for its rate limit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rejections: list[float] = []

    def handle(self, request: Request) -> Reply:
        reply = super().handle(request)
        if reply.status == 429:
            self.rejections.append(time.monotonic())
        return reply


def serve(conn: Connection, args: argparse.Namespace) -> None:
    """The fake server's process: report the base URL, serve until told to stop, report stats.

    It runs apart from the benchmarked code so that its request handling does not compete for
    that process's GIL: in-process, the server's threads delayed the client's requests by
    hundreds of milliseconds at times, a skew no real, remote server would add.
    """
    latency = LatencyModel(args.latency_ms, seed=args.seed)
    with RecordingServer(
        rpm=args.rpm,
        tpm=args.tpm,
        window_s=args.window,
        latency=latency,
        api_key="bench",
        output_tokens=OUTPUT_TOKENS,
    ) as server:
        conn.send(server.base_url)
        conn.recv()
        conn.send(
            ServerStats(
                server.request_count, server.rate_limited, latency.admissions, server.rejections
            )
        )


class ServerProcess:
    """`serve` in a child process, as a context manager yielding its base URL."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=serve, args=(child, args), daemon=True
        )
        self.stats: ServerStats | None = None

    def __enter__(self) -> str:
        self._process.start()
        if not self._conn.poll(30):
            raise RuntimeError("the fake OpenAI server did not start")
        return str(self._conn.recv())

    def __exit__(self, *exc_info: object) -> None:
        self._conn.send("stop")
        if self._conn.poll(30):
            self.stats = self._conn.recv()
        self._process.join(timeout=10)


def run(args: argparse.Namespace) -> dict[str, Any]:
    per_cell = len(MODELS) * len(LOCATIONS)
    questions = max(1, math.ceil(args.cells / per_cell))
    cells = questions * per_cell
    server = ServerProcess(args)
    with (
        BenchDatabase() as db,
        tempfile.TemporaryDirectory(prefix="senso-bench-home-") as home,
        server as base_url,
    ):
        org_file = parse_org_document(org_yaml(questions), source="bench.yaml")
        import_orgs(db, org_file)
        org_id = OrgRepository(db).get(org_file.orgs[0].slug).org_id

        config = ProvidersConfig(
            routes={model: ModelRoute(provider="openai") for model in MODELS},
            default_provider=None,
            openai=OpenAIConfig(
                api_key=SecretStr("bench"),
                base_url=base_url,
                timeout_s=30.0,
                # What the limiter charges a request before its usage is known: the fake's
                # answers are OUTPUT_TOKENS long, as an operator would size it for real answers.
                expected_output_tokens=OUTPUT_TOKENS,
                rate_limit=RateLimitConfig(
                    rpm=args.rpm, tpm=args.tpm, max_concurrency=args.concurrency
                ),
            ),
        )
        registry = build_registry(config, simulated_seed=7)
        provider = registry.resolve(MODELS[0])
        assert isinstance(provider, OpenAIResponsesProvider)
        # RateLimitConfig has no window: real accounts count per minute. The benchmark
        # compresses the minute, so the limiter must count over the server's window too.
        provider.limiter.window_s = args.window
        # Settings without an OpenAI key keep the evaluator deterministic: an LLM verifier would
        # send its own requests to the same server, outside the matrix provider's limiter.
        settings = load_settings(
            environ={"SENSO_HOME": home}, flags={"matrix_concurrency": args.concurrency}
        ).settings
        services = build_services(settings, registry=registry)
        step_times: dict[str, float] = {}
        started = time.monotonic()
        last = started

        def on_step(name: str, _: dict[str, Any]) -> None:
            nonlocal last
            now = time.monotonic()
            step_times[name] = now - last
            last = now

        try:
            state = run_inline(db, {"org_id": str(org_id)}, services=services, on_step=on_step)
        finally:
            services.close()
        wall = time.monotonic() - started
        failures = failed_cells(db, state["batch"]["batch_id"])

    assert server.stats is not None, "the fake OpenAI server sent no figures"
    admissions = sorted(server.stats.admissions, key=lambda a: a.at)
    fraction, steady_from, steady_to = window_occupancy(
        admissions, window=args.window, rpm=args.rpm, tpm=args.tpm, step=args.window / 600
    )
    # The least time any client could take: a full window's burst every window, a window's
    # worth being what the binding ceiling lets through.
    per_window = args.rpm
    if args.tpm is not None:
        mean_tokens = sum(a.tokens for a in admissions) / len(admissions)
        per_window = min(per_window, int(args.tpm // mean_tokens))
    ideal_s = (math.ceil(len(admissions) / per_window) - 1) * args.window
    first, final = admissions[0].at, admissions[-1].at
    return {
        "cells": cells,
        "rpm_per_window": args.rpm,
        "tpm_per_window": args.tpm,
        "window_s": args.window,
        "concurrency": args.concurrency,
        "latency_median_ms": args.latency_ms,
        "requests_sent": server.stats.request_count,
        "requests_admitted": len(admissions),
        "rate_limited_429": server.stats.rate_limited,
        "rejected_at_s": [round(t - first, 2) for t in server.stats.rejections],
        "max_requests_in_any_window": max_in_any_window(admissions, args.window),
        "throughput_fraction": round(fraction, 4),
        "steady_state_s": round(steady_to - steady_from, 2),
        "admission_span_s": round(final - first, 2),
        "ideal_admission_span_s": round(ideal_s, 2),
        "matrix_step_s": round(step_times.get("RunQuestionMatrixWithEvaluation", math.nan), 2),
        "workflow_wall_s": round(wall, 2),
        "completed_cells": state["matrix"]["completed"],
        "failed_cells": sum(n for _, n in failures),
        "failure_reasons": failures,
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("cells (questions x 3 models x 2 locations)", result["cells"]),
        ("ceiling per window (rpm / tpm)", f"{result['rpm_per_window']} / "
                                           f"{result['tpm_per_window']}"),
        ("window (s)", result["window_s"]),
        ("concurrency", result["concurrency"]),
        ("latency median (ms)", result["latency_median_ms"]),
        ("requests sent / admitted", f"{result['requests_sent']} / {result['requests_admitted']}"),
        ("429s received (at s)", f"{result['rate_limited_429']} {result['rejected_at_s']}"),
        ("max requests in any window", result["max_requests_in_any_window"]),
        ("throughput fraction (steady state)", f"{result['throughput_fraction']:.3f}"),
        ("steady state measured (s)", result["steady_state_s"]),
        ("admission span / ideal (s)", f"{result['admission_span_s']} / "
                                       f"{result['ideal_admission_span_s']}"),
        ("matrix step (s)", result["matrix_step_s"]),
        ("workflow wall time (s)", result["workflow_wall_s"]),
        ("completed / failed cells", f"{result['completed_cells']} / {result['failed_cells']}"),
        ("machine", f"nproc {result['machine']['nproc']}, python {result['machine']['python']}"),
    ]  # fmt: skip
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    for reason, count in result["failure_reasons"]:
        print(f"  failed x{count}: {reason}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=240, help="cells to run (rounded up to 6s)")
    parser.add_argument("--rpm", type=int, default=60, help="requests allowed per window")
    parser.add_argument("--tpm", type=int, default=10_000, help="tokens allowed per window")
    parser.add_argument("--window", type=float, default=6.0, help="the compressed minute (s)")
    parser.add_argument("--concurrency", type=int, default=8, help="workers and calls in flight")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="median answer latency")
    parser.add_argument("--seed", type=int, default=1, help="seed of the latency draws")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.cells <= args.rpm:
        parser.error("--cells must exceed --rpm: the steady state starts one window in")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    target_met = result["throughput_fraction"] >= 0.95 and result["failed_cells"] == 0
    return 0 if target_met else 1


if __name__ == "__main__":
    sys.exit(main())
