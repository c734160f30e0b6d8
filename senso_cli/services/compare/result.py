"""What `compare` returns: the paired and cohort comparisons and the verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from senso_cli.services.compare.cohorts import CohortReport
from senso_cli.services.compare.paired import PairedResult

Verdict = Literal["PASS", "FAIL", "NO DATA"]


@dataclass(frozen=True)
class CompareResult:
    since: datetime
    until: datetime
    org: str | None
    tolerance: float
    paired: PairedResult
    cohorts: CohortReport

    @property
    def pair_count(self) -> int:
        return len(self.paired.pairs)

    @property
    def failed_metrics(self) -> list[str]:
        return self.paired.failed_metrics

    @property
    def verdict(self) -> Verdict:
        """PASS needs evidence: with no paired batches there is nothing to vouch for."""
        if self.pair_count == 0:
            return "NO DATA"
        return "FAIL" if self.failed_metrics else "PASS"

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    def mismatched_orgs(self, metric: str) -> list[str]:
        diffs = self.paired.diffs
        rows = diffs[(diffs["metric"] == metric) & ~diffs["passed"].astype(bool)]
        return sorted({str(org) for org in rows["org"]})

    def summary(self) -> str:
        """One line an operator (or the rollout gate) can quote."""
        tolerance = f"tolerance {self.tolerance:.2%}"
        if self.verdict == "NO DATA":
            return (
                f"NO DATA: no org was evaluated by both orchestrators on the same day between "
                f"{self.since:%Y-%m-%d} and {self.until:%Y-%m-%d} ({tolerance})"
            )
        if self.verdict == "PASS":
            return f"PASS: {self.pair_count} paired batches, no metric mismatches ({tolerance})"
        parts = []
        for summary in self.paired.summaries:
            if summary.passed:
                continue
            orgs = ", ".join(self.mismatched_orgs(summary.metric)[:3])
            parts.append(f"{summary.metric} ({summary.mismatches}; {orgs})")
        return (
            f"FAIL: {len(parts)} metrics differ over {self.pair_count} paired batches "
            f"({tolerance}): " + "; ".join(parts)
        )
