"""The metrics compare checks, and how each is derived from one batch's aggregates.

Counts and rates are compared by relative difference against the tolerance; duration depends
on provider latency and the orchestrator's own scheduling, so it is shown but never fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

SIDES: tuple[str, str] = ("step_functions", "inngest")
SIDE_LABELS = {"step_functions": "Step Functions", "inngest": "Inngest"}

MetricKind = Literal["count", "rate", "mean", "duration"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    kind: MetricKind
    informational: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("completed", "batch completed (0/1)", "count"),
    Metric("cells", "cells", "count"),
    Metric("failed_cells", "failed cells", "count"),
    Metric("visibility", "visibility (% of completed cells mentioned)", "rate"),
    Metric("share_of_voice", "share of voice (mean %)", "mean"),
    Metric("mean_rank", "mean mention rank", "mean"),
    Metric("citation_rate", "citation rate (%)", "rate"),
    Metric("sentiment_positive", "sentiment positive (%)", "rate"),
    Metric("sentiment_neutral", "sentiment neutral (%)", "rate"),
    Metric("sentiment_negative", "sentiment negative (%)", "rate"),
    Metric("competitors_per_answer", "competitors per answer", "mean"),
    Metric("credits", "credits charged", "count"),
    Metric("duration_s", "duration (s)", "duration", informational=True),
)
METRIC_BY_NAME = {metric.name: metric for metric in METRICS}
# Metrics drawn as distributions in the cohort section of the HTML report.
DISTRIBUTION_METRICS = ("cells", "visibility", "share_of_voice", "credits", "duration_s")


def _ratio(numerator: pd.Series, denominator: pd.Series, scale: float = 1.0) -> pd.Series:
    """numerator / denominator, NaN where the denominator is 0 (the metric is undefined)."""
    den = denominator.astype("float64").replace(0.0, np.nan)
    return scale * numerator.astype("float64") / den


def add_metrics(batches: pd.DataFrame) -> pd.DataFrame:
    """Add one column per metric to the per-batch aggregates `load.load_batches` returns."""
    frame = batches.copy()
    completed_cells = frame["completed_cells"]
    with_sentiment = frame["positive"] + frame["neutral"] + frame["negative"]
    frame["completed"] = (frame["status"] == "completed").astype("float64")
    frame["cells"] = frame["cells"].astype("float64")
    frame["failed_cells"] = frame["failed_cells"].astype("float64")
    frame["visibility"] = _ratio(frame["mentioned"], completed_cells, 100.0)
    frame["share_of_voice"] = frame["sov_mean"].astype("float64")
    frame["mean_rank"] = frame["rank_mean"].astype("float64")
    frame["citation_rate"] = _ratio(frame["cited"], completed_cells, 100.0)
    frame["sentiment_positive"] = _ratio(frame["positive"], with_sentiment, 100.0)
    frame["sentiment_neutral"] = _ratio(frame["neutral"], with_sentiment, 100.0)
    frame["sentiment_negative"] = _ratio(frame["negative"], with_sentiment, 100.0)
    frame["competitors_per_answer"] = _ratio(frame["competitors"], completed_cells)
    frame["credits"] = frame["credits"].astype("float64")
    frame["duration_s"] = frame["duration_s"].astype("float64")
    return frame


def relative_difference(left: pd.Series, right: pd.Series) -> pd.Series:
    """|left - right| / max(|left|, |right|): 0 when equal (both NaN counts as equal), inf
    when only one side has a value."""
    a = left.astype("float64").to_numpy()
    b = right.astype("float64").to_numpy()
    both_nan = np.isnan(a) & np.isnan(b)
    one_nan = np.isnan(a) ^ np.isnan(b)
    scale = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), 0.0)
    rel = np.where(both_nan, 0.0, np.where(one_nan, np.inf, rel))
    return pd.Series(rel, index=left.index, dtype="float64")
