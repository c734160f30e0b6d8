"""The invariants every reliability test checks in PostgreSQL after its fault.

- every cell of a batch has at most one question run;
- every completed, non-placeholder run of a batch whose usage was tracked is charged exactly
  once, and no failed or placeholder run is charged;
- every batch ends completed, or failed with an error name;
- nothing is lost: each payer's balance equals the sum of its ledger entries.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.db.database import Database


def check_invariants(db: Database, *, allow_running: bool = False) -> None:
    with db.connect() as conn:
        dupes = conn.execute(
            """SELECT batch_id, question_id, model_id, location_id, count(*) AS n
               FROM question_runs GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"""
        ).fetchall()
        assert dupes == [], f"cells run more than once: {dupes}"

        charged_twice = conn.execute(
            """SELECT source_id, count(*) AS n FROM credit_ledger
               WHERE source_type = 'question_run' GROUP BY source_id HAVING count(*) > 1"""
        ).fetchall()
        assert charged_twice == [], f"runs charged twice: {charged_twice}"

        wrongly_charged = conn.execute(
            """SELECT r.question_run_id, r.status, r.is_placeholder FROM credit_ledger l
               JOIN question_runs r ON r.question_run_id::text = l.source_id
               WHERE l.source_type = 'question_run'
                 AND (r.status <> 'completed' OR r.is_placeholder)"""
        ).fetchall()
        assert wrongly_charged == [], f"failed or placeholder runs charged: {wrongly_charged}"

        uncharged = conn.execute(
            """SELECT r.question_run_id FROM question_runs r
               JOIN question_run_batches b ON b.batch_id = r.batch_id
               WHERE b.status = 'completed' AND r.status = 'completed' AND NOT r.is_placeholder
                 AND NOT EXISTS (SELECT 1 FROM credit_ledger l
                                 WHERE l.source_type = 'question_run'
                                   AND l.source_id = r.question_run_id::text)"""
        ).fetchall()
        assert uncharged == [], f"completed runs of completed batches not charged: {uncharged}"

        statuses = conn.execute(
            "SELECT batch_id, status, error_name FROM question_run_batches"
        ).fetchall()
        for batch in statuses:
            ok = {"completed", "failed"} | ({"running", "pending"} if allow_running else set())
            assert batch["status"] in ok, f"batch left {batch['status']}: {batch}"
            if batch["status"] == "failed":
                assert batch["error_name"], f"failed batch without a reason: {batch}"

        balances = conn.execute(
            """SELECT b.owner_type, b.owner_id, b.current_balance,
                      coalesce((SELECT sum(amount) FROM credit_ledger l
                                WHERE l.payer_type = b.owner_type AND l.payer_id = b.owner_id),
                               0) AS ledger
               FROM credit_balances b"""
        ).fetchall()
        for row in balances:
            assert Decimal(row["current_balance"]) == Decimal(row["ledger"]), (
                f"balance drifted from its ledger: {row}"
            )
