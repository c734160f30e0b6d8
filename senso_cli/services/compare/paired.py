"""Paired comparison: the same org on the same batch day, run by both orchestrators.

Shadow runs produce these pairs. Every metric of a pair is compared side by side with its
absolute and relative difference; a relative difference above the tolerance is a mismatch,
except for informational metrics (duration).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from senso_cli.services.compare.metrics import METRICS, SIDES, relative_difference

KEY = ["org_id", "org", "batch_day"]
# Differences the old system causes by design (domain.md section 8), told apart from a
# regression: the Inngest side's value that gives it away, and what the report says.
KNOWN_WEAKNESSES: dict[str, tuple[float, str]] = {
    "mean_rank": (1.0, "known old-system weakness: mention_rank hard-coded to 1 (domain.md 8.1)"),
    "citation_rate": (0.0, "known old-system weakness: citation never set (domain.md 8.1)"),
}
SAMPLE_ROWS = 5
# Floating-point noise must not turn an exact tolerance into a mismatch.
_EPSILON = 1e-9


@dataclass(frozen=True)
class MetricSummary:
    metric: str
    label: str
    informational: bool
    pairs: int
    mismatches: int
    max_abs_diff: float | None
    max_rel_diff: float | None
    worst_org: str | None
    worst_day: str | None
    samples: list[dict[str, Any]] = field(default_factory=list)
    # Why the sides differ when the difference is a known weakness of the old system (excused).
    known_weakness: str | None = None

    @property
    def passed(self) -> bool:
        return self.informational or self.mismatches == 0


@dataclass(frozen=True)
class PairedResult:
    """`pairs`: one row per paired (org, day) with both batch ids; `diffs`: one row per pair
    and metric; `only_one_side`: batches without a counterpart; `model_diffs`: per model,
    cell counts that differ between the two sides of a pair."""

    pairs: pd.DataFrame
    diffs: pd.DataFrame
    only_one_side: pd.DataFrame
    summaries: list[MetricSummary]
    model_diffs: pd.DataFrame

    @property
    def failed_metrics(self) -> list[str]:
        return [summary.metric for summary in self.summaries if not summary.passed]


def split_pairs(batches: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pairs with both sides' columns suffixed `__<side>`, batches present on one side only)."""
    left = batches[batches["orchestrator"] == SIDES[0]]
    right = batches[batches["orchestrator"] == SIDES[1]]
    merged = pd.merge(
        left,
        right,
        on=KEY,
        how="outer",
        suffixes=(f"__{SIDES[0]}", f"__{SIDES[1]}"),
        indicator=True,
    )
    pairs = merged[merged["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    single_keys = merged.loc[merged["_merge"] != "both", KEY]
    only = batches.merge(single_keys, on=KEY, how="inner")
    only = only[["org", "org_id", "batch_day", "orchestrator", "batch_id", "status", "cells"]]
    return pairs, only.sort_values(["batch_day", "org", "orchestrator"]).reset_index(drop=True)


def metric_diffs(pairs: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """The long table of differences: one row per pair and metric."""
    frames = []
    for metric in METRICS:
        left = pairs[f"{metric.name}__{SIDES[0]}"].astype("float64")
        right = pairs[f"{metric.name}__{SIDES[1]}"].astype("float64")
        rel = relative_difference(left, right)
        frame = pairs[KEY].copy()
        frame["metric"] = metric.name
        frame[SIDES[0]] = left
        frame[SIDES[1]] = right
        frame["abs_diff"] = (left - right).abs()
        frame["rel_diff"] = rel
        frame["informational"] = metric.informational
        within = rel <= tolerance + _EPSILON
        weakness = KNOWN_WEAKNESSES.get(metric.name)
        excused = (
            (pairs[f"{metric.name}__inngest"].astype("float64") == weakness[0]) & ~within
            if weakness
            else pd.Series(False, index=pairs.index)
        )
        frame["known_weakness"] = excused
        frame["passed"] = metric.informational | within | excused
        frames.append(frame)
    if not frames or pairs.empty:
        columns = [
            *KEY,
            "metric",
            *SIDES,
            "abs_diff",
            "rel_diff",
            "informational",
            "known_weakness",
            "passed",
        ]
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)


def _finite_max(values: pd.Series) -> float | None:
    array = values.to_numpy(dtype="float64")
    if np.isinf(array).any():
        return float("inf")
    array = array[~np.isnan(array)]
    return float(array.max()) if array.size else None


def summarise(diffs: pd.DataFrame) -> list[MetricSummary]:
    summaries = []
    for metric in METRICS:
        rows = diffs[diffs["metric"] == metric.name]
        failing = rows[~rows["passed"].astype(bool)]
        ranked = (failing if not failing.empty else rows).sort_values(
            ["rel_diff", "abs_diff"], ascending=False, na_position="last"
        )
        worst = ranked.iloc[0] if not ranked.empty else None
        samples = [
            {
                "org": row["org"],
                "batch_day": row["batch_day"],
                SIDES[0]: row[SIDES[0]],
                SIDES[1]: row[SIDES[1]],
                "abs_diff": row["abs_diff"],
                "rel_diff": row["rel_diff"],
            }
            for _, row in failing.sort_values(["rel_diff", "abs_diff"], ascending=False)
            .head(SAMPLE_ROWS)
            .iterrows()
        ]
        label = metric.label
        weakness = None
        if metric.name in KNOWN_WEAKNESSES and rows["known_weakness"].astype(bool).any():
            weakness = KNOWN_WEAKNESSES[metric.name][1]
            label = f"{label} [differs: {weakness}]"
        summaries.append(
            MetricSummary(
                metric=metric.name,
                label=label,
                informational=metric.informational,
                pairs=len(rows),
                mismatches=0 if metric.informational else len(failing),
                max_abs_diff=_finite_max(rows["abs_diff"]) if not rows.empty else None,
                max_rel_diff=_finite_max(rows["rel_diff"]) if not rows.empty else None,
                worst_org=None if worst is None else str(worst["org"]),
                worst_day=None if worst is None else str(worst["batch_day"]),
                samples=samples,
                known_weakness=weakness,
            )
        )
    return summaries


def model_differences(pairs: pd.DataFrame, model_cells: pd.DataFrame) -> pd.DataFrame:
    """Per paired (org, day) and model, the cell counts of each side where they differ:
    the signature of one model's cells silently dropped on one side."""
    columns = ["org", "batch_day", "model", *SIDES]
    if pairs.empty or model_cells.empty:
        return pd.DataFrame(columns=columns)
    owners = pd.concat(
        [
            pairs[["org", "batch_day", f"batch_id__{side}"]]
            .rename(columns={f"batch_id__{side}": "batch_id"})
            .assign(side=side)
            for side in SIDES
        ],
        ignore_index=True,
    )
    cells = model_cells.merge(owners, on="batch_id", how="inner")
    wide = cells.pivot_table(
        index=["org", "batch_day", "model"], columns="side", values="cells", aggfunc="sum"
    )
    wide = wide.reindex(columns=list(SIDES)).fillna(0).astype("int64").reset_index()
    differing = wide[wide[SIDES[0]] != wide[SIDES[1]]]
    return differing[columns].sort_values(["batch_day", "org", "model"]).reset_index(drop=True)


def compare_pairs(
    batches: pd.DataFrame,
    tolerance: float,
    model_cells_for: Callable[[list[str]], pd.DataFrame],
) -> PairedResult:
    """Pair the batches, diff every metric, and ask `model_cells_for(batch_ids)` for the
    per-model cell counts of the paired batches only."""
    pairs, only = split_pairs(batches)
    diffs = metric_diffs(pairs, tolerance)
    batch_ids = [str(b) for side in SIDES for b in pairs[f"batch_id__{side}"]]
    model_cells = model_cells_for(batch_ids)
    return PairedResult(
        pairs=pairs,
        diffs=diffs,
        only_one_side=only,
        summaries=summarise(diffs),
        model_diffs=model_differences(pairs, model_cells),
    )
