"""Re-evaluate an org's stored answers with the current evaluator (no answer provider called).

The old system had a re-evaluation workflow for when the evaluator improved; this is it for
senso. For every stored answer of the org since a moment, the answer text already in
`question_runs` is evaluated again with the evaluator components given (offline, or the
language model when configured), compared metric by metric with what is stored, and, unless it
is a dry run, stored in place when something changed. Running it twice changes nothing the
second time: an answer whose metrics already agree is not written. Billing is untouched: the
ledger charges question runs, and no run is created or charged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from handlers.db.database import Database
from handlers.evaluation import (
    CompetitorExtractor,
    Evaluation,
    MentionVerifier,
    NameVariationGenerator,
    OrgProfile,
    evaluate_answer,
    share_of_voice,
)
from handlers.matrix.variations_cache import org_variations
from handlers.repositories.orgs import OrgRepository
from handlers.repositories.stored_evals import StoredEvaluation, load_stored, replace_evaluation

METRICS = (
    "mentioned",
    "share_of_voice",
    "sentiment",
    "mention_rank",
    "citation",
    "citations",
    "competitors",
)


@dataclass(frozen=True)
class MetricChange:
    metric: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RunChanges:
    question_run_id: UUID
    created_at: datetime
    changes: list[MetricChange]


@dataclass
class ReevaluationReport:
    """What a re-evaluation found and (unless a dry run) stored."""

    org_id: UUID
    org_name: str
    since: datetime
    dry_run: bool
    evaluator: str
    examined: int = 0
    changed_by_metric: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    runs: list[RunChanges] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return len(self.runs)

    @property
    def written(self) -> int:
        return 0 if self.dry_run else self.changed


def _stored_metrics(stored: StoredEvaluation) -> dict[str, Any]:
    sov = share_of_voice(stored.mention_text, stored.response_text, mentioned=stored.mentioned)
    return {
        "mentioned": stored.mentioned,
        "share_of_voice": round(sov, 2),
        "sentiment": stored.sentiment if stored.mentioned else None,
        "mention_rank": stored.mention_rank,
        "citation": stored.citation,
        "citations": sorted(stored.citations),
        "competitors": sorted(set(stored.competitors)),
    }


def _new_metrics(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "mentioned": evaluation.mentioned,
        "share_of_voice": round(evaluation.share_of_voice, 2),
        "sentiment": evaluation.sentiment if evaluation.mentioned else None,
        "mention_rank": evaluation.mention_rank,
        "citation": evaluation.citation,
        "citations": sorted((c.url, c.type) for c in evaluation.citations),
        "competitors": sorted(set(evaluation.competitors)),
    }


def metric_changes(stored: StoredEvaluation, evaluation: Evaluation) -> list[MetricChange]:
    """The metrics on which the new evaluation differs from the stored one.

    The mention text itself is compared too (as share of voice can hide a changed passage of
    equal size): a different text with an equal share is reported under share_of_voice.
    """
    before, after = _stored_metrics(stored), _new_metrics(evaluation)
    changes = [MetricChange(m, before[m], after[m]) for m in METRICS if before[m] != after[m]]
    text_before = stored.mention_text if stored.mentioned else None
    text_after = evaluation.mention_text if evaluation.mentioned else None
    if text_before != text_after and not any(c.metric == "share_of_voice" for c in changes):
        changes.append(
            MetricChange("share_of_voice", before["share_of_voice"], after["share_of_voice"])
        )
    return changes


def reevaluate_org(
    db: Database,
    org_ref: str,
    since: datetime,
    *,
    generator: NameVariationGenerator,
    verifier: MentionVerifier,
    extractor: CompetitorExtractor,
    dry_run: bool = False,
) -> ReevaluationReport:
    """Re-evaluate the org's stored answers since `since`; store changes unless `dry_run`."""
    org = OrgRepository(db).get(org_ref)
    profile = OrgProfile(name=org.name, websites=org.websites)
    names = org_variations(db, org.org_id, org.name, org.websites, generator)
    report = ReevaluationReport(
        org_id=org.org_id,
        org_name=org.name,
        since=since,
        dry_run=dry_run,
        evaluator=verifier.label,
    )
    for stored in load_stored(db, org.org_id, since):
        report.examined += 1
        evaluation = evaluate_answer(
            stored.response_text,
            profile,
            names,
            verifier=verifier,
            competitor_extractor=extractor,
        )
        changes = metric_changes(stored, evaluation)
        if not changes:
            continue
        for change in changes:
            report.changed_by_metric[change.metric] += 1
        report.runs.append(RunChanges(stored.question_run_id, stored.created_at, changes))
        if not dry_run:
            replace_evaluation(db, org.org_id, stored, evaluation)
    return report
