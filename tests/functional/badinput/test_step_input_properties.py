"""Property: whatever JSON a step receives, it either runs or fails with a senso input error,
and a rejected input changes nothing in the database."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.contract import read_input, run_step
from handlers.db.database import Database
from handlers.errors import InvalidInputError, SensoError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)
step_payloads = st.dictionaries(
    st.sampled_from(["org_id", "batch", "error", "batch_day", "orchestrator", "x"]),
    json_values,
    max_size=4,
)
STEPS = [
    "GetOrCreateBatch",
    "CheckBalance",
    "StartBatchProcessing",
    "TrackUsage",
    "CompleteBatch",
    "MarkBatchFailed",
]


def _row_total(db: Database) -> int:
    with db.connect() as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM question_run_batches) + "
            "(SELECT count(*) FROM credit_ledger) AS n"
        ).fetchone()
    assert row is not None
    return int(row["n"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(step=st.sampled_from(STEPS), payload=step_payloads)
def test_any_payload_is_run_or_rejected_cleanly(
    db: Database, step: str, payload: dict[str, Any]
) -> None:
    before = _row_total(db)
    try:
        run_step(step, payload, db=db)
    except SensoError as exc:
        assert exc.message and "\n" not in exc.message
        assert _row_total(db) == before
    # No org exists in this database, so nothing can have been created either way.
    assert _row_total(db) == before


@given(raw=st.text(max_size=40))
def test_container_input_is_json_object_or_clear_error(raw: str) -> None:
    try:
        data = read_input({"SENSO_STEP_INPUT": raw}, lambda: "")
    except InvalidInputError as exc:
        assert "JSON" in exc.message
    else:
        assert isinstance(data, dict)
