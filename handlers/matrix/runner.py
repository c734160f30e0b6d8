"""Run the pending cells of a batch with bounded concurrency, each cell on its own.

Cells are grouped by provider and chunked by what the provider takes in one call; chunks run on
a thread pool of `concurrency` workers, while each provider's own rate limiter (shared by all
threads) keeps its requests and tokens per minute under the limit. A cell's failure (a provider
error, an unknown model, an unusable answer) is recorded on that cell and never stops the
others. A database failure does stop the step: it is transient and the state machine retries,
and the retry skips every cell already complete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from uuid import UUID

from handlers.db.database import Database
from handlers.errors import InvalidInputError, ProviderError, ProviderTransientError, TransientError
from handlers.evaluation import OrgProfile, evaluate_answer
from handlers.matrix.writer import write_completed, write_failed
from handlers.providers.base import CellPrompt, Provider, ProviderAnswer
from handlers.repositories.batches import Cell
from handlers.runtime import WorkflowServices

MAX_ERRORS_REPORTED = 10


@dataclass
class MatrixOutcome:
    completed: int = 0
    failed: int = 0
    provider_calls: int = 0
    simulated: bool = False
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, *, ok: bool, error: str | None = None, simulated: bool = False) -> None:
        with self._lock:
            if ok:
                self.completed += 1
            else:
                self.failed += 1
                if error and len(self.errors) < MAX_ERRORS_REPORTED:
                    self.errors.append(error)
            self.simulated = self.simulated or simulated

    def called(self) -> None:
        with self._lock:
            self.provider_calls += 1


class Heartbeat:
    """Calls `beat` at most every `interval` seconds, from whichever thread gets there."""

    def __init__(self, beat: Callable[[], None], interval: float = 10.0) -> None:
        self._beat = beat
        self._interval = interval
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self._interval:
                return
            self._last = now
        self._beat()


@dataclass
class MatrixRunner:
    db: Database
    services: WorkflowServices
    batch_id: UUID
    org_id: UUID
    org: OrgProfile
    variations: list[str]
    heartbeat: Callable[[], None]

    def run(self, cells: list[Cell]) -> MatrixOutcome:
        outcome = MatrixOutcome()
        chunks: list[tuple[Provider, list[Cell]]] = []
        by_provider: dict[int, tuple[Provider, list[Cell]]] = {}
        for cell in cells:
            try:
                provider = self.services.registry.resolve(cell.model)
            except InvalidInputError as exc:
                self._fail(outcome, cell, f"unknown model {cell.model!r}: {exc.message}")
                continue
            by_provider.setdefault(id(provider), (provider, []))[1].append(cell)
        for provider, group in by_provider.values():
            size = max(1, provider.max_batch)
            chunks += [(provider, group[i : i + size]) for i in range(0, len(group), size)]
        if not chunks:
            return outcome
        with ThreadPoolExecutor(max_workers=self.services.concurrency) as pool:
            futures: list[Future[None]] = [
                pool.submit(self._run_chunk, provider, chunk, outcome) for provider, chunk in chunks
            ]
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for future in pending:
                future.cancel()
            for future in done:
                future.result()  # re-raise a database failure: the step fails as transient
        return outcome

    def _fail(
        self,
        outcome: MatrixOutcome,
        cell: Cell,
        reason: str,
        *,
        provider: str | None = None,
        placeholder: bool = False,
    ) -> None:
        write_failed(
            self.db,
            batch_id=self.batch_id,
            org_id=self.org_id,
            cell=cell,
            reason=reason,
            provider=provider,
            placeholder=placeholder,
        )
        outcome.record(ok=False, error=f"{cell.model}/{cell.country_code}: {reason}")

    def _run_chunk(self, provider: Provider, chunk: list[Cell], outcome: MatrixOutcome) -> None:
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
            for cell in chunk
        ]
        try:
            outcome.called()
            results = provider.answer(prompts)
        except (ProviderTransientError, ProviderError, InvalidInputError) as exc:
            for cell in chunk:
                self._fail(
                    outcome, cell, f"{type(exc).__name__}: {exc.message}", provider=provider.name
                )
            self.heartbeat()
            return
        by_key = {result.cell_key: result for result in results}
        for cell in chunk:
            result = by_key.get(cell.key)
            if result is None:
                self._fail(
                    outcome,
                    cell,
                    "provider returned no result for this cell",
                    provider=provider.name,
                )
            elif isinstance(result, ProviderAnswer):
                self._complete(outcome, cell, result)
            else:
                self._fail(outcome, cell, result.reason, provider=provider.name)
            self.heartbeat()

    def _complete(self, outcome: MatrixOutcome, cell: Cell, answer: ProviderAnswer) -> None:
        if answer.placeholder or not answer.text.strip():
            self._fail(
                outcome,
                cell,
                "provider returned no answer (placeholder)",
                provider=answer.provider,
                placeholder=True,
            )
            return
        try:
            evaluation = evaluate_answer(
                answer.text,
                self.org,
                self.variations,
                verifier=self.services.verifier,
                competitor_extractor=self.services.extractor,
            )
        except TransientError:
            raise
        except (InvalidInputError, ProviderError) as exc:
            self._fail(outcome, cell, f"evaluation failed: {exc.message}", provider=answer.provider)
            return
        write_completed(
            self.db,
            batch_id=self.batch_id,
            org_id=self.org_id,
            cell=cell,
            answer=answer,
            evaluation=evaluation,
        )
        outcome.record(ok=True, simulated=answer.simulated)
