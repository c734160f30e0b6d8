"""The labelled answer set (bench/labelled/*.yaml) and the golden scoring of domain §9.

Rows mark the passages about the org with ⟦ ⟧; loading removes the marks and derives the
expected mention text (passages joined with " || ") and the expected byte share of voice.
`score` applies the four golden checks: mention exact, SOV within 10 absolute points (0 when
no mention is expected), sentiment exact after blanking, citation set exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LABELLED_DIR = Path(__file__).with_name("labelled")
SOV_TOLERANCE = 10.0
METRICS = ("mention", "sov", "sentiment", "citations")
_PASSAGE = re.compile(r"⟦(.*?)⟧", re.DOTALL)


@dataclass(frozen=True)
class LabelledAnswer:
    """One labelled answer, with the marks removed from its text."""

    id: str
    group: str
    org_name: str
    websites: tuple[str, ...]
    response_text: str
    expected_mention: bool
    expected_sentiment: str
    expected_citations: frozenset[str]
    expected_mention_text: str
    reason: str
    format: str

    @property
    def expected_sov(self) -> float:
        if not self.expected_mention:
            return 0.0
        size = len(self.response_text.encode("utf-8"))
        return 100.0 * len(self.expected_mention_text.encode("utf-8")) / size


@dataclass(frozen=True)
class Prediction:
    """What an evaluator said about one answer, in the golden set's terms."""

    mentioned: bool
    sov: float
    sentiment: str
    citations: frozenset[str]


def _row(raw: dict[str, Any], group: str) -> LabelledAnswer:
    marked = str(raw["response_text"])
    passages = [p.strip() for p in _PASSAGE.findall(marked) if p.strip()]
    mention = bool(raw["expected_mention"])
    if mention != bool(passages):
        raise ValueError(f"{raw['id']}: marked passages must exist exactly when mentioned")
    return LabelledAnswer(
        id=str(raw["id"]),
        group=group,
        org_name=str(raw["org_name"]),
        websites=tuple(raw.get("websites") or ()),
        response_text=marked.replace("⟦", "").replace("⟧", ""),
        expected_mention=mention,
        expected_sentiment=str(raw.get("expected_sentiment") or "") if mention else "",
        expected_citations=frozenset(raw.get("expected_citations") or ()),
        expected_mention_text=" || ".join(passages),
        reason=str(raw["reason"]),
        format=str(raw.get("format", "")),
    )


def load_labelled_set(directory: Path = LABELLED_DIR) -> list[LabelledAnswer]:
    """Every labelled answer, file by file in name order."""
    rows: list[LabelledAnswer] = []
    for path in sorted(directory.glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            rows.append(_row(raw, path.stem))
    ids = [row.id for row in rows]
    if len(ids) != len(set(ids)):
        raise ValueError("labelled answer ids must be unique")
    return rows


def score(row: LabelledAnswer, predicted: Prediction) -> dict[str, bool]:
    """The golden checks of one answer (domain §9)."""
    sentiment = predicted.sentiment if predicted.mentioned else ""
    if row.expected_mention:
        sov_ok = abs(predicted.sov - row.expected_sov) <= SOV_TOLERANCE
    else:
        sov_ok = predicted.sov == 0
    return {
        "mention": predicted.mentioned == row.expected_mention,
        "sov": sov_ok,
        "sentiment": sentiment == row.expected_sentiment,
        "citations": predicted.citations == row.expected_citations,
    }


def accuracy(results: list[dict[str, bool]]) -> dict[str, float]:
    """Per-metric and overall accuracy in percent."""
    total = len(results) or 1
    figures = {m: 100.0 * sum(r[m] for r in results) / total for m in METRICS}
    figures["overall"] = 100.0 * sum(all(r[m] for m in METRICS) for r in results) / total
    return figures
