"""Who wrote each batch, read from what is in the database rather than from a label.

The product's `question_run_batches` holds the old system's batches and senso's live ones;
senso's shadow batches are in `senso.shadow_question_run_batches`. A product batch with a row in
`senso.batches` was written by senso (Step Functions); one without was written by the old
Inngest system, and its batch day is its creation day in UTC (the old code set no other date).
`batches_sql` gives one relation over all three, so status views, compare and the trigger's
summary read the same facts.
"""

from __future__ import annotations

from handlers.db.tables import Tables

INNGEST = "inngest"
STEP_FUNCTIONS = "step_functions"


def batches_sql(t: Tables) -> str:
    """A relation: batch_id, org_id, batch_day, orchestrator, shadow, status, counters, times."""
    shadow = t.shadow()
    # Table names come from the validated table map.
    return f"""
    SELECT b.batch_id, b.org_id,
           coalesce(s.batch_day, (b.created_at AT TIME ZONE 'UTC')::date) AS batch_day,
           CASE WHEN s.batch_id IS NULL THEN '{INNGEST}' ELSE '{STEP_FUNCTIONS}' END
             AS orchestrator,
           false AS shadow, b.status, b.total_questions, b.completed_questions,
           b.failed_questions, b.is_latest, b.created_at, b.started_at, b.completed_at
    FROM {t.question_run_batches} b
    LEFT JOIN senso.batches s ON s.batch_id = b.batch_id AND NOT s.shadow
    WHERE b.scope IS DISTINCT FROM 'network'
    UNION ALL
    SELECT b.batch_id, b.org_id, s.batch_day, '{STEP_FUNCTIONS}', true, b.status,
           b.total_questions, b.completed_questions, b.failed_questions, b.is_latest,
           b.created_at, b.started_at, b.completed_at
    FROM {shadow.question_run_batches} b
    JOIN senso.batches s ON s.batch_id = b.batch_id AND s.shadow
    """  # noqa: S608
