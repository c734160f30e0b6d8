"""Whether a batch may complete: its failed cells against the configured threshold.

A batch whose share of failed cells is above `max_failed_cells_ratio` does not complete (and so
never becomes the org's latest); it fails with a reason that counts its cells by cause, e.g.
"120 of 120 cells failed (allowed 5%): 120 no route for the model (e.g. chatgpt/US: no provider
serves model 'chatgpt' ...)".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from handlers.errors import BatchFailedError
from handlers.matrix.retries import CAUSE_LABELS, FailureCause


def failure_reason(
    *,
    total: int,
    failed: int,
    allowed_ratio: float,
    causes: Counter[FailureCause],
    examples: Mapping[FailureCause, str],
) -> str:
    parts = []
    for cause, count in causes.most_common():
        part = f"{count} {CAUSE_LABELS[cause]}"
        if cause in examples:
            part += f" (e.g. {examples[cause]})"
        parts.append(part)
    listed = "; ".join(parts) or "causes not recorded"
    return f"{failed} of {total} cells failed (allowed {allowed_ratio:.0%}): {listed}"


def check_outcome(
    *,
    total: int,
    failed: int,
    allowed_ratio: float,
    causes: Counter[FailureCause],
    examples: Mapping[FailureCause, str],
) -> None:
    """Raise `BatchFailedError` when the failed cells exceed the allowed share."""
    if total <= 0 or failed <= allowed_ratio * total:
        return
    raise BatchFailedError(
        failure_reason(
            total=total,
            failed=failed,
            allowed_ratio=allowed_ratio,
            causes=causes,
            examples=examples,
        ),
        failed_cells=failed,
        hint="see the failed cells with `senso status`; a re-trigger runs only those cells",
    )
