"""The invariants every reliability test checks in PostgreSQL after its fault.

- every cell of a batch has at most one question run;
- every completed, non-placeholder, non-simulated cell of a completed batch is charged exactly
  once, and no failed, placeholder or simulated cell is charged (simulated answers are free);
- every batch ends completed, or failed with an error name;
- nothing is lost: each payer's balance equals the sum of its ledger entries.

They hold in both database modes: they read the product tables through the table map and
senso's own rows, and rely on no constraint of the product tables.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.db.database import Database


def check_invariants(db: Database, *, allow_running: bool = False) -> None:
    t = db.tables
    with db.connect() as conn:
        dupes = conn.execute(
            f"""SELECT batch_id, geo_question_id, model_id, location_id, count(*) AS n
                FROM {t.question_runs} GROUP BY 1, 2, 3, 4 HAVING count(*) > 1"""  # noqa: S608
        ).fetchall()
        assert dupes == [], f"cells run more than once: {dupes}"

        charged_twice = conn.execute(
            f"""SELECT source_id, org_id, count(*) AS n FROM {t.credit_ledger}
                WHERE source_type = 'question_run' GROUP BY 1, 2 HAVING count(*) > 1"""  # noqa: S608
        ).fetchall()
        assert charged_twice == [], f"runs charged twice: {charged_twice}"

        wrongly_charged = conn.execute(
            f"""SELECT l.source_id FROM {t.credit_ledger} l
                WHERE l.source_type = 'question_run'
                  AND NOT EXISTS (SELECT 1 FROM senso.cell_runs c
                                  WHERE c.question_run_id::text = l.source_id
                                    AND c.status = 'completed' AND NOT c.is_placeholder
                                    AND NOT c.simulated)"""  # noqa: S608
        ).fetchall()
        assert wrongly_charged == [], (
            f"failed, placeholder or simulated cells charged: {wrongly_charged}"
        )

        uncharged = conn.execute(
            f"""SELECT c.question_run_id FROM senso.cell_runs c
                JOIN {t.question_run_batches} b ON b.batch_id = c.batch_id
                JOIN senso.batches s ON s.batch_id = c.batch_id AND NOT s.shadow
                WHERE b.status = 'completed' AND c.status = 'completed' AND NOT c.is_placeholder
                  AND NOT c.simulated AND NOT EXISTS (SELECT 1 FROM {t.credit_ledger} l
                                  WHERE l.source_type = 'question_run'
                                    AND l.source_id = c.question_run_id::text)"""  # noqa: S608
        ).fetchall()
        assert uncharged == [], f"completed cells of completed batches not charged: {uncharged}"

        statuses = conn.execute(
            f"""SELECT b.batch_id, b.status, s.error_name FROM {t.question_run_batches} b
                LEFT JOIN senso.batches s ON s.batch_id = b.batch_id"""  # noqa: S608
        ).fetchall()
        for batch in statuses:
            ok = {"completed", "failed"} | ({"running", "pending"} if allow_running else set())
            assert batch["status"] in ok, f"batch left {batch['status']}: {batch}"
            if batch["status"] == "failed":
                assert batch["error_name"], f"failed batch without a reason: {batch}"

        balances = conn.execute(
            f"""SELECT b.org_id, b.partner_id, b.current_balance,
                       coalesce((SELECT sum(amount) FROM {t.credit_ledger} l
                                 WHERE CASE WHEN b.org_id IS NOT NULL
                                            THEN l.payer_type = 'ORG' AND l.org_id = b.org_id
                                            ELSE l.payer_type = 'PARTNER'
                                                 AND l.partner_id = b.partner_id END),
                                0) AS ledger
                FROM {t.credit_balances} b"""  # noqa: S608
        ).fetchall()
        for row in balances:
            assert Decimal(row["current_balance"]) == Decimal(row["ledger"]), (
                f"balance drifted from its ledger: {row}"
            )
