"""Run the pending cells of a batch with bounded concurrency, each cell on its own.

Cells are grouped by provider and chunked by what the provider takes in one call; chunks run on
a thread pool of `concurrency` workers, while each provider's own rate limiter (shared by all
threads) keeps its requests and tokens per minute under the limit. Each cell is retried on its
own (`handlers.matrix.retries`): a transient failure sends it back to the queue after a
backoff, a permanent one is recorded on that cell with its reason, and neither stops the
others. Cells still failing transiently when the budget runs out fail the step as transient;
a retry is started only while its provider's longest attempt can still end inside the budget
(handlers.matrix.budget), so attempts in flight never outlast it.
A database failure also stops the step: it is transient and the state machine retries, and the
retry skips every cell already complete.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from uuid import UUID

from handlers.db.database import Database
from handlers.db.tables import Tables
from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError
from handlers.evaluation import OrgProfile, evaluate_answer
from handlers.matrix.retries import (
    CellRetryPolicy,
    FailureCause,
    retry_chunk_size,
    whole_call_is_permanent,
)
from handlers.matrix.writer import write_completed, write_failed
from handlers.providers.base import CellPrompt, Provider, ProviderAnswer, UnknownModelError
from handlers.repositories.batches import Cell
from handlers.runtime import WorkflowServices

MAX_ERRORS_REPORTED = 10
MAX_ERROR_CHARS = 300


@dataclass
class MatrixOutcome:
    completed: int = 0
    failed: int = 0
    provider_calls: int = 0
    simulated: bool = False
    errors: list[str] = field(default_factory=list)
    causes: Counter[FailureCause] = field(default_factory=Counter)
    examples: dict[FailureCause, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(
        self,
        *,
        ok: bool,
        error: str | None = None,
        cause: FailureCause = "permanent",
        simulated: bool = False,
    ) -> None:
        with self._lock:
            if ok:
                self.completed += 1
            else:
                self.failed += 1
                self.causes[cause] += 1
                if error:
                    self.examples.setdefault(cause, error[:MAX_ERROR_CHARS])
                    if len(self.errors) < MAX_ERRORS_REPORTED:
                        self.errors.append(error[:MAX_ERROR_CHARS])
            self.simulated = self.simulated or simulated

    def called(self) -> None:
        with self._lock:
            self.provider_calls += 1


@dataclass(frozen=True)
class _Work:
    """Cells sent to one provider in one call, on their `attempt`-th try (1-based)."""

    provider: Provider
    cells: list[Cell]
    attempt: int


@dataclass(frozen=True)
class _Retry:
    """A cell whose attempt failed transiently (or must be tried again on its own)."""

    cell: Cell
    reason: str
    retry_after: float | None = None
    alone: bool = False  # split out of a chunk rejected as a whole: retried at once, alone


@dataclass
class _Waiting:
    provider: Provider
    retry: _Retry
    attempts: int
    not_before: float
    size: int  # cells per call on the next attempt: half the failed call's, at least one


@dataclass
class MatrixRunner:
    db: Database
    services: WorkflowServices
    batch_id: UUID
    org_id: UUID
    org: OrgProfile
    variations: list[str]
    # The product's tables for a live batch, senso's shadow copies for a shadow batch.
    tables: Tables
    policy: CellRetryPolicy = field(default_factory=CellRetryPolicy)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def run(self, cells: list[Cell]) -> MatrixOutcome:
        outcome = MatrixOutcome()
        deadline = self.clock() + self.policy.budget_s
        by_provider: dict[int, tuple[Provider, list[Cell]]] = {}
        for cell in cells:
            try:
                provider = self.services.registry.resolve(cell.model)
            except InvalidInputError as exc:
                self._fail(outcome, cell, exc.message, cause="unknown_model")
                continue
            by_provider.setdefault(id(provider), (provider, []))[1].append(cell)
        work = [
            _Work(provider, chunk, 1)
            for provider, group in by_provider.values()
            for chunk in _chunks(group, max(1, provider.max_batch))
        ]
        waiting: list[_Waiting] = []
        exhausted: list[_Waiting] = []
        pool = ThreadPoolExecutor(max_workers=self.services.concurrency)
        in_flight: dict[Future[list[_Retry]], _Work] = {}
        def startable(entry: _Waiting, at: float) -> bool:
            # Only an attempt whose worst case still ends inside the budget may start.
            return at + self.policy.longest_attempt(entry.provider.name) <= deadline

        try:
            while True:
                now = self.clock()
                ready = [w for w in waiting if w.not_before <= now and startable(w, now)]
                started = {id(w) for w in ready}
                waiting = [w for w in waiting if id(w) not in started]
                work += _regroup(ready)
                for item in work:
                    in_flight[pool.submit(self._run_chunk, item, outcome)] = item
                work = []
                # The retries that can still start, each at its earliest moment.
                pending = [w for w in waiting if startable(w, max(now, w.not_before))]
                if not in_flight:
                    if not pending:
                        break
                    self.sleep(max(0.0, min(w.not_before for w in pending) - now))
                    continue
                timeout = None
                if pending:
                    timeout = max(0.0, min(w.not_before for w in pending) - now)
                done, _ = wait(in_flight, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    item = in_flight.pop(future)
                    # A database failure re-raises here: the step fails as transient and the
                    # state machine's retry skips every cell already complete.
                    for retry in future.result():
                        size = 1 if retry.alone else retry_chunk_size(len(item.cells))
                        entry = _Waiting(item.provider, retry, item.attempt, self.clock(), size)
                        if item.attempt >= self.policy.max_attempts:
                            exhausted.append(entry)
                            continue
                        if not retry.alone:
                            entry.not_before += self.policy.delay(
                                item.attempt, retry.retry_after, self.rng
                            )
                        waiting.append(entry)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        still_failing = exhausted + waiting
        if still_failing:
            self._give_up(outcome, still_failing)
        return outcome

    def _give_up(self, outcome: MatrixOutcome, still_failing: list[_Waiting]) -> None:
        """Record the cells that never got through, then fail the step as retryable."""
        for entry in still_failing:
            self._fail(
                outcome,
                entry.retry.cell,
                f"still failing after {entry.attempts} attempts: {entry.retry.reason}",
                cause="transient",
                provider=entry.provider.name,
            )
        first = still_failing[0].retry.reason
        raise ProviderTransientError(
            f"{len(still_failing)} cells still failing transiently when the step's budget ran "
            f"out (last reason: {first[:MAX_ERROR_CHARS]}); a retry runs only those cells",
            retry_after=max((e.retry.retry_after or 0.0) for e in still_failing) or None,
        )

    def _fail(
        self,
        outcome: MatrixOutcome,
        cell: Cell,
        reason: str,
        *,
        cause: FailureCause,
        provider: str | None = None,
        placeholder: bool = False,
    ) -> None:
        write_failed(
            self.db,
            batch_id=self.batch_id,
            cell=cell,
            reason=reason,
            provider=provider,
            placeholder=placeholder,
        )
        outcome.record(ok=False, error=f"{cell.model}/{cell.country_code}: {reason}", cause=cause)

    def _run_chunk(self, item: _Work, outcome: MatrixOutcome) -> list[_Retry]:
        """Call the provider once for `item`; returns the cells to try again."""
        provider = item.provider
        prompts = [
            CellPrompt(
                cell_key=cell.key,
                question=cell.question,
                model=cell.model,
                country_code=cell.country_code,
                region_name=cell.region_name,
                org_name=self.org.name,
                org_websites=self.org.websites,
                org_id=str(self.org_id),
            )
            for cell in item.cells
        ]
        try:
            outcome.called()
            results = provider.answer(prompts)
        except ProviderTransientError as exc:
            reason = f"{type(exc).__name__}: {exc.message}"
            return [_Retry(cell, reason, exc.retry_after) for cell in item.cells]
        except (ProviderError, InvalidInputError) as exc:
            reason = f"{type(exc).__name__}: {exc.message}"
            if len(item.cells) > 1 and not whole_call_is_permanent(exc):
                # One bad item may have spoilt the call: each cell gets its own try at once.
                return [_Retry(cell, reason, alone=True) for cell in item.cells]
            cause: FailureCause = (
                "unknown_model" if isinstance(exc, UnknownModelError) else "permanent"
            )
            for cell in item.cells:
                self._fail(outcome, cell, reason, cause=cause, provider=provider.name)
            return []
        by_key = {result.cell_key: result for result in results}
        retries: list[_Retry] = []
        for cell in item.cells:
            result = by_key.get(cell.key)
            if result is None:
                retries.append(_Retry(cell, "provider returned no result for this cell"))
            elif isinstance(result, ProviderAnswer):
                retry = self._complete(outcome, cell, result)
                if retry is not None:
                    retries.append(retry)
            elif result.transient:
                retries.append(_Retry(cell, result.reason))
            else:
                self._fail(outcome, cell, result.reason, cause="permanent", provider=provider.name)
        return retries

    def _complete(
        self, outcome: MatrixOutcome, cell: Cell, answer: ProviderAnswer
    ) -> _Retry | None:
        if answer.placeholder or not answer.text.strip():
            self._fail(
                outcome,
                cell,
                "provider returned no answer (placeholder)",
                cause="no_answer",
                provider=answer.provider,
                placeholder=True,
            )
            return None
        try:
            evaluation = evaluate_answer(
                answer.text,
                self.org,
                self.variations,
                verifier=self.services.verifier,
                competitor_extractor=self.services.extractor,
            )
        except ProviderTransientError as exc:
            # The evaluator's model was throttled: the cell is tried again, answer and all.
            return _Retry(cell, f"evaluation: {exc.message}", exc.retry_after)
        except (InvalidInputError, ProviderError) as exc:
            self._fail(
                outcome,
                cell,
                f"evaluation failed: {exc.message}",
                cause="evaluation",
                provider=answer.provider,
            )
            return None
        write_completed(
            self.db,
            self.tables,
            batch_id=self.batch_id,
            org_id=self.org_id,
            cell=cell,
            answer=answer,
            evaluation=evaluation,
        )
        outcome.record(ok=True, simulated=answer.simulated)
        return None


def _chunks(cells: list[Cell], size: int) -> list[list[Cell]]:
    return [cells[i : i + size] for i in range(0, len(cells), size)]


def _regroup(ready: list[_Waiting]) -> list[_Work]:
    """Chunks for the cells due again: per provider and attempt, halved on each retry."""
    groups: dict[tuple[int, int, int], tuple[Provider, list[Cell]]] = {}
    for entry in ready:
        key = (id(entry.provider), entry.attempts, entry.size)
        groups.setdefault(key, (entry.provider, []))[1].append(entry.retry.cell)
    work: list[_Work] = []
    for (_, attempts, size), (provider, cells) in groups.items():
        work += [_Work(provider, chunk, attempts + 1) for chunk in _chunks(cells, size)]
    return work
