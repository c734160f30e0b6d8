"""A local stand-in for the old Inngest function `process-org-evaluation`, for rehearsals.

It plays the *old* system: it writes the product tables the way domain.md section 2 describes
the Go code writing them, quirks included, and never goes through senso's steps, keys or
shadow tables. So `senso compare` on a laptop compares senso with something that behaves like
what it replaces, not with itself. Kept on purpose (domain.md section 8 numbers them):

* today's batch is the first batch of the org created that UTC day, whatever its status (3);
* a new batch and its runs start with is_latest = true before the old ones are cleared (13);
* counters are read-modify-write, and a re-walk counts evaluated runs again (2);
* an eval row alone marks a run done; mention_rank is 1, citation is false (1, 4);
* every competitor row repeats the extraction call's tokens and cost (7);
* placeholder runs are charged, at 0.05 or cost / (1 - margin), checked with the fixed price,
  and the sum is debited from the partner's balance even for ORG rows (6); a simulated answer
  (which the old code never saw) is free, as in senso, so a rehearsal compares like with like;
* a failing answer call from a one-at-a-time provider leaves no run and no count (2).

What it cannot take from the old code it borrows: the answers come from senso's provider
registry (offline: the labelled simulated provider) and the extraction from senso's evaluator,
standing in for the old LLM calls. Deliberately not split into steps: it runs in one process.
The batch of a past `day` (a backfill) is created on that day, so it pairs with senso's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError, ProviderError, SensoError, TransientError
from handlers.evaluation import OrgProfile, evaluate_answer
from handlers.providers.base import PLACEHOLDER_TEXT, CellPrompt, ProviderAnswer
from handlers.providers.simulated_text import SIMULATED_MARKER
from handlers.repositories.orgs import OrgDetails, OrgRepository
from handlers.runtime import WorkflowServices

DEFAULT_QUESTION_RUN_COST = Decimal("0.05")


class LegacyFunctionError(SensoError):
    """The old function failed (after FailBatch, where the old code calls it)."""

    error_name = "Inngest.FunctionFailed"


@dataclass
class LegacyResult:
    batch_id: UUID
    total_processed: int = 0
    charged_runs: int = 0
    processing_errors: list[str] = field(default_factory=list)


def _created_at(day: date) -> datetime:
    now = datetime.now(UTC)
    return now if day == now.date() else datetime.combine(day, time(2, 0), tzinfo=UTC)


def _todays_batch(conn: psycopg.Connection[Any], t: Tables, org_id: UUID, day: date) -> Any:
    # senso's own batches are left out: in a rehearsal both systems share one database, while
    # in production routing never gives one org to both.
    start = datetime.combine(day, time(), tzinfo=UTC)
    return conn.execute(
        f"""SELECT batch_id, status FROM {t.question_run_batches} b
            WHERE org_id = %s AND created_at >= %s AND created_at < %s
              AND NOT EXISTS (SELECT 1 FROM senso.batches s WHERE s.batch_id = b.batch_id)
            ORDER BY created_at LIMIT 1""",  # noqa: S608
        (org_id, start, start + timedelta(days=1)),
    ).fetchone()


def run_legacy(db: Database, services: WorkflowServices, org_id: UUID, day: date) -> LegacyResult:
    """One `org.evaluation.process` event, start to end; LegacyFunctionError when it fails."""
    t = db.tables
    with db.connect(autocommit=True) as conn:
        org = OrgRepository(db).load(conn, org_id)
        total = org.matrix_size
        # Step 1: get-or-create-batch.
        found = _todays_batch(conn, t, org_id, day)
        if found is None:
            batch_id = uuid.uuid4()
            conn.execute(
                f"""INSERT INTO {t.question_run_batches} (batch_id, scope, org_id, batch_type,
                        status, total_questions, completed_questions, failed_questions,
                        is_latest, created_at, updated_at)
                    VALUES (%s, 'org', %s, 'manual', 'pending', %s, 0, 0, true, %s, %s)""",  # noqa: S608
                (batch_id, org_id, total, _created_at(day), _created_at(day)),
            )
            status, existing = "pending", False
        else:
            batch_id, status, existing = found["batch_id"], found["status"], True
        result = LegacyResult(batch_id)
        # Step 1.5: check-balance (skipped for a completed batch), with the fixed price.
        if status != "completed" and total > 0:
            _check_balance(conn, t, org, total, batch_id)
        # Step 2: start-batch-processing (an existing batch is left as it is).
        if not existing:
            conn.execute(
                f"UPDATE {t.question_run_batches} SET status = 'running', started_at = now() "  # noqa: S608
                "WHERE batch_id = %s",
                (batch_id,),
            )
        # Step 3: the matrix, then extraction, then the latest flags.
        try:
            runs = _run_matrix(conn, t, services, org, batch_id, result)
            _extract(conn, t, services, org, batch_id, runs)
        except (SensoError, psycopg.Error) as exc:
            _fail_batch(conn, t, batch_id)
            step = "step 3 (run-question-matrix-with-evaluation)"
            raise LegacyFunctionError(f"{step}: {exc}") from exc
        conn.execute(
            f"""UPDATE {t.question_runs} SET is_latest = (batch_id IS NOT DISTINCT FROM %(b)s)
                WHERE geo_question_id IN (SELECT geo_question_id FROM {t.question_runs}
                                          WHERE batch_id = %(b)s)""",  # noqa: S608
            {"b": batch_id},
        )
        # Step 4: track-usage (its errors are only logged by the old code).
        try:
            result.charged_runs = _track_usage(conn, t, org, batch_id)
        except psycopg.Error as exc:
            result.processing_errors.append(f"track-usage: {exc}")
        # Step 5: complete-batch.
        conn.execute(
            f"""UPDATE {t.question_run_batches} SET status = 'completed', completed_at = now(),
                       is_latest = true, updated_at = now() WHERE batch_id = %s""",  # noqa: S608
            (batch_id,),
        )
        conn.execute(
            f"UPDATE {t.question_run_batches} SET is_latest = false "  # noqa: S608
            "WHERE org_id = %s AND batch_id <> %s",
            (org_id, batch_id),
        )
    return result


def _fail_batch(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID) -> None:
    conn.execute(
        f"UPDATE {t.question_run_batches} SET status = 'failed' WHERE batch_id = %s",  # noqa: S608
        (batch_id,),
    )


def _pricing(conn: psycopg.Connection[Any], t: Tables, partner_id: UUID) -> Any:
    return conn.execute(
        f"""SELECT wholesale_fixed_price, wholesale_margin_pct FROM {t.wholesale_pricing}
            WHERE partner_id = %s AND action = 'question_run' LIMIT 1""",  # noqa: S608
        (partner_id,),
    ).fetchone()


def _balance(conn: psycopg.Connection[Any], t: Tables, column: str, owner: UUID) -> Decimal:
    extra = "" if column == "org_id" else " AND org_id IS NULL"
    row = conn.execute(
        f"SELECT coalesce(sum(current_balance), 0) AS b FROM {t.credit_balances} "  # noqa: S608
        f"WHERE {column} = %s{extra}",
        (owner,),
    ).fetchone()
    return Decimal(row["b"]) if row else Decimal(0)


def _check_balance(
    conn: psycopg.Connection[Any], t: Tables, org: OrgDetails, total: int, batch_id: UUID
) -> None:
    config = _pricing(conn, t, org.partner_id)
    price = (
        Decimal(config["wholesale_fixed_price"])
        if config and config["wholesale_fixed_price"] is not None
        else DEFAULT_QUESTION_RUN_COST
    )
    column, owner = ("partner_id", org.partner_id) if org.is_free_tier else ("org_id", org.org_id)
    if _balance(conn, t, column, owner) < price * total:
        _fail_batch(conn, t, batch_id)
        raise LegacyFunctionError("insufficient funds: ErrInsufficientCredits")


def _run_matrix(
    conn: psycopg.Connection[Any],
    t: Tables,
    services: WorkflowServices,
    org: OrgDetails,
    batch_id: UUID,
    result: LegacyResult,
) -> list[tuple[UUID, str]]:
    """Models x locations in repo order, every question of each pair, one after another."""
    runs: list[tuple[UUID, str]] = []
    for model in org.models:
        try:
            provider = services.registry.resolve(model.name)
        except InvalidInputError as exc:
            raise LegacyFunctionError(f"unsupported model {model.name!r}: {exc.message}") from exc
        for location in org.locations:
            for question in org.questions:
                row = conn.execute(
                    f"""SELECT question_run_id, response_text FROM {t.question_runs}
                        WHERE batch_id = %s AND geo_question_id = %s AND model_id = %s
                          AND location_id = %s LIMIT 1""",  # noqa: S608
                    (batch_id, question.question_id, model.model_id, location.location_id),
                ).fetchone()
                if row is not None:
                    runs.append((row["question_run_id"], row["response_text"]))
                    continue
                prompt = CellPrompt(
                    cell_key=f"{question.question_id}:{model.model_id}:{location.location_id}",
                    question=question.text,
                    model=model.name,
                    country_code=location.country_code,
                    region_name=location.region_name,
                    org_name=org.name,
                    org_websites=org.websites,
                )
                try:
                    answers = provider.answer([prompt])
                except (ProviderError, TransientError) as exc:
                    if provider.max_batch > 1:
                        raise  # a batching provider's error fails all of step 3
                    result.processing_errors.append(f"{model.name}: {exc.message}")
                    continue
                answer = answers[0] if answers else None
                tokens: tuple[int | None, int | None] = (None, None)
                if not isinstance(answer, ProviderAnswer):
                    if provider.max_batch > 1:
                        text, cost = PLACEHOLDER_TEXT, 0.0
                    else:
                        result.processing_errors.append(f"{model.name}: no answer")
                        continue
                else:
                    text = PLACEHOLDER_TEXT if answer.placeholder else answer.text
                    cost, tokens = answer.cost_usd, (answer.input_tokens, answer.output_tokens)
                run_id = uuid.uuid4()
                conn.execute(
                    f"""INSERT INTO {t.question_runs} (question_run_id, geo_question_id,
                            model_id, location_id, response_text, input_tokens, output_tokens,
                            total_cost, batch_id, run_model, run_country, run_region, is_latest,
                            created_at, updated_at)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, true,
                                now(), now())""",  # noqa: S608
                    (
                        run_id,
                        question.question_id,
                        model.model_id,
                        location.location_id,
                        text,
                        tokens[0],
                        tokens[1],
                        cost,
                        batch_id,
                        model.name,
                        location.country_code,
                        location.region_name,
                    ),
                )
                result.total_processed += 1
                runs.append((run_id, text))
    return runs


def _bump(conn: psycopg.Connection[Any], t: Tables, batch_id: UUID, column: str) -> None:
    """The old unlocked read-modify-write of a counter."""
    row = conn.execute(
        f"SELECT {column} AS n FROM {t.question_run_batches} WHERE batch_id = %s",  # noqa: S608
        (batch_id,),
    ).fetchone()
    conn.execute(
        f"UPDATE {t.question_run_batches} SET {column} = %s WHERE batch_id = %s",  # noqa: S608
        (int(row["n"] if row else 0) + 1, batch_id),
    )


def _extract(
    conn: psycopg.Connection[Any],
    t: Tables,
    services: WorkflowServices,
    org: OrgDetails,
    batch_id: UUID,
    runs: list[tuple[UUID, str]],
) -> None:
    profile = OrgProfile(name=org.name, websites=org.websites)
    # Regenerated on every execution of the step (weakness 10).
    variations = services.generator.generate(org.name, org.websites).names
    for run_id, text in runs:
        done = conn.execute(
            f"SELECT 1 FROM {t.org_evals} WHERE question_run_id = %s AND org_id = %s LIMIT 1",  # noqa: S608
            (run_id, org.org_id),
        ).fetchone()
        if done is not None:
            _bump(conn, t, batch_id, "completed_questions")
            continue
        if text == PLACEHOLDER_TEXT:
            conn.execute(
                f"""INSERT INTO {t.org_evals} (org_eval_id, question_run_id, org_id, mentioned,
                        citation) VALUES (%s, %s, %s, false, false)""",  # noqa: S608
                (uuid.uuid4(), run_id, org.org_id),
            )
            _bump(conn, t, batch_id, "completed_questions")
            continue
        try:
            evaluation = evaluate_answer(
                text,
                profile,
                variations,
                verifier=services.verifier,
                competitor_extractor=services.extractor,
            )
        except SensoError:
            _bump(conn, t, batch_id, "failed_questions")
            continue
        mentioned = evaluation.mentioned and bool(evaluation.mention_text)
        usage = evaluation.verification_usage
        conn.execute(
            f"""INSERT INTO {t.org_evals} (org_eval_id, question_run_id, org_id, mentioned,
                    citation, sentiment, mention_text, mention_rank, input_tokens,
                    output_tokens, total_cost)
                VALUES (%s, %s, %s, %s, false, %s, %s, %s, %s, %s, %s)""",  # noqa: S608
            (
                uuid.uuid4(),
                run_id,
                org.org_id,
                mentioned,
                evaluation.sentiment if mentioned else None,
                evaluation.mention_text if mentioned else None,
                1 if mentioned else None,
                usage.input_tokens or None,
                usage.output_tokens or None,
                usage.cost or None,
            ),
        )
        competitor = evaluation.competitor_usage
        for name in evaluation.competitors:
            conn.execute(
                f"""INSERT INTO {t.org_competitors} (org_competitor_id, question_run_id, org_id,
                        name, input_tokens, output_tokens, total_cost)
                    VALUES (%s, %s, %s, %s, %s, %s, %s)""",  # noqa: S608
                (
                    uuid.uuid4(),
                    run_id,
                    org.org_id,
                    name,
                    competitor.input_tokens,
                    competitor.output_tokens,
                    competitor.cost,
                ),
            )
        for citation in evaluation.citations:
            conn.execute(
                f"""INSERT INTO {t.org_citations} (org_citation_id, question_run_id, org_id,
                        url, type, dead_link) VALUES (%s, %s, %s, %s, %s, false)""",  # noqa: S608
                (uuid.uuid4(), run_id, org.org_id, citation.url, citation.type),
            )
        _bump(conn, t, batch_id, "completed_questions")


def _track_usage(conn: psycopg.Connection[Any], t: Tables, org: OrgDetails, batch_id: UUID) -> int:
    config = _pricing(conn, t, org.partner_id)
    margin = (
        Decimal(config["wholesale_margin_pct"])
        if config and config["wholesale_margin_pct"] is not None
        else None
    )
    payer_type = "PARTNER" if org.is_free_tier else "ORG"
    charged, total = 0, Decimal(0)
    with conn.transaction():
        runs = conn.execute(
            f"""SELECT r.question_run_id, r.response_text, coalesce(r.total_cost, 0) AS cost,
                       coalesce((SELECT e.total_cost FROM {t.org_evals} e
                                 WHERE e.question_run_id = r.question_run_id AND e.org_id = %s
                                 ORDER BY e.org_eval_id DESC LIMIT 1), 0) AS eval_cost
                FROM {t.question_runs} r WHERE r.batch_id = %s""",  # noqa: S608
            (org.org_id, batch_id),
        ).fetchall()
        for run in runs:
            if (run["response_text"] or "").startswith(SIMULATED_MARKER):
                continue  # simulated answers are free on both sides
            exists = conn.execute(
                f"""SELECT 1 FROM {t.credit_ledger} WHERE source_id = %s AND org_id = %s
                      AND source_type = 'question_run' LIMIT 1""",  # noqa: S608
                (str(run["question_run_id"]), org.org_id),
            ).fetchone()
            if exists is not None:
                continue
            senso_cost = Decimal(run["cost"]) + Decimal(run["eval_cost"])
            if senso_cost > 0 and margin is not None and 0 < margin < 1:
                charge, mode, pct = senso_cost / (1 - margin), "dynamic", margin
            else:
                charge = DEFAULT_QUESTION_RUN_COST
                mode = "fixed"
                pct = (DEFAULT_QUESTION_RUN_COST - senso_cost) / DEFAULT_QUESTION_RUN_COST
            metadata = {
                "question_run_id": str(run["question_run_id"]),
                "org_id": str(org.org_id),
                "partner_id": str(org.partner_id),
                "senso_cost": str(senso_cost),
                "actualcharge": str(charge),
                "margin_pct": str(pct),
                "pricing_mode": mode,
                "batch_id": str(batch_id),
            }
            conn.execute(
                f"""INSERT INTO {t.credit_ledger} (entry_id, org_id, partner_id, amount,
                        source_type, source_id, metadata, payer_type, created_at)
                    VALUES (%s, %s, %s, %s, 'question_run', %s, %s, %s, now())""",  # noqa: S608
                (
                    uuid.uuid4(),
                    org.org_id,
                    org.partner_id,
                    -charge,
                    str(run["question_run_id"]),
                    json.dumps(metadata),
                    payer_type,
                ),
            )
            charged += 1
            total += charge
        if total:
            # Always the partner's balance, even for ORG rows (domain.md section 5).
            conn.execute(
                f"""UPDATE {t.credit_balances} SET current_balance = current_balance - %s
                    WHERE partner_id = %s AND org_id IS NULL""",  # noqa: S608
                (total, org.partner_id),
            )
    return charged
