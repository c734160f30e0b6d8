"""Cohort comparison: the two populations of batches over the window, side by side.

During a partial rollout the two sides evaluate different orgs, so cohort differences are
expected and never fail the comparison. They are flagged only when they exceed the noise: the
95th percentile of the relative difference between repeat runs of the same org by the same
orchestrator (on different days), and by more than the tolerance. Without repeat runs the
noise is unknown and nothing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from senso_cli.services.compare.metrics import (
    DISTRIBUTION_METRICS,
    METRICS,
    SIDES,
    relative_difference,
)

NOISE_QUANTILE = 0.95


@dataclass(frozen=True)
class Distribution:
    count: int
    mean: float | None
    p50: float | None
    p95: float | None


@dataclass(frozen=True)
class SideCohort:
    side: str
    batches: int
    orgs: int
    cells: int
    completed_batches: int
    failed_batches: int
    completion_rate: float | None
    failure_rate: float | None
    duration_p50_s: float | None
    duration_p95_s: float | None
    cells_per_batch: float | None
    # Credits per org and batch day: a window of several days must not add an org's days up.
    cost_per_org_day: float | None
    metrics: dict[str, Distribution] = field(default_factory=dict)


@dataclass(frozen=True)
class CohortFlag:
    metric: str
    step_functions: float
    inngest: float
    rel_diff: float
    noise: float


@dataclass(frozen=True)
class CohortReport:
    sides: dict[str, SideCohort]
    noise: dict[str, float | None]
    repeat_runs: int
    flags: list[CohortFlag]
    # Per metric and side, the per-batch values (for the HTML histograms).
    distributions: dict[str, dict[str, list[float]]]


def _opt(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def _distribution(values: pd.Series) -> Distribution:
    clean = values.astype("float64").dropna()
    if clean.empty:
        return Distribution(0, None, None, None)
    return Distribution(
        count=len(clean),
        mean=float(clean.mean()),
        p50=float(clean.quantile(0.5)),
        p95=float(clean.quantile(0.95)),
    )


def _side(frame: pd.DataFrame, side: str) -> SideCohort:
    total = len(frame)
    orgs = int(frame["org_id"].nunique())
    org_days = len(frame[["org_id", "batch_day"]].drop_duplicates()) if total else 0
    completed = int((frame["status"] == "completed").sum())
    failed = int((frame["status"] == "failed").sum())
    durations = frame["duration_s"].astype("float64").dropna()
    return SideCohort(
        side=side,
        batches=total,
        orgs=orgs,
        cells=int(frame["cells"].sum()) if total else 0,
        completed_batches=completed,
        failed_batches=failed,
        completion_rate=completed / total if total else None,
        failure_rate=failed / total if total else None,
        duration_p50_s=_opt(durations.quantile(0.5)) if not durations.empty else None,
        duration_p95_s=_opt(durations.quantile(0.95)) if not durations.empty else None,
        cells_per_batch=float(frame["cells"].mean()) if total else None,
        cost_per_org_day=float(frame["credits"].sum()) / org_days if org_days else None,
        metrics={metric.name: _distribution(frame[metric.name]) for metric in METRICS},
    )


def repeat_run_noise(batches: pd.DataFrame) -> tuple[dict[str, float | None], int]:
    """Per metric, the NOISE_QUANTILE of relative differences between consecutive runs of the
    same org by the same orchestrator; and how many such repeat pairs there were."""
    ordered = batches.sort_values(["orchestrator", "org_id", "batch_day"])
    previous = ordered.groupby(["orchestrator", "org_id"], sort=False).shift(1)
    has_previous = previous["batch_id"].notna()
    repeats = int(has_previous.sum())
    noise: dict[str, float | None] = {}
    for metric in METRICS:
        if repeats == 0:
            noise[metric.name] = None
            continue
        rel = relative_difference(
            ordered.loc[has_previous, metric.name], previous.loc[has_previous, metric.name]
        )
        rel = rel[np.isfinite(rel)]
        noise[metric.name] = float(rel.quantile(NOISE_QUANTILE)) if not rel.empty else None
    return noise, repeats


def compare_cohorts(batches: pd.DataFrame, tolerance: float = 0.0) -> CohortReport:
    """Both populations side by side; a metric is flagged when the cohort means differ by more
    than both the repeat-run noise and the tolerance."""
    sides = {side: _side(batches[batches["orchestrator"] == side], side) for side in SIDES}
    noise, repeats = repeat_run_noise(batches)
    flags = []
    for metric in METRICS:
        means = [sides[side].metrics[metric.name].mean for side in SIDES]
        band = noise[metric.name]
        if band is None or means[0] is None or means[1] is None:
            continue
        rel = relative_difference(pd.Series([means[0]]), pd.Series([means[1]])).iloc[0]
        if rel > max(band, tolerance):
            flags.append(CohortFlag(metric.name, means[0], means[1], float(rel), band))
    distributions = {
        name: {
            side: batches.loc[batches["orchestrator"] == side, name]
            .astype("float64")
            .dropna()
            .tolist()
            for side in SIDES
        }
        for name in DISTRIBUTION_METRICS
    }
    return CohortReport(sides, noise, repeats, flags, distributions)
