"""Parallel and Map states: running sub-machines concurrently on threads.

Both fan out to worker threads that each run one branch or iteration at a time through
``Executor.run_machine``. A failure cancels the siblings (their scope) and fails the state with
the failed branch's own error and cause -- AWS reports that error for the Parallel/Map state --
marked ``from_branch`` so ``States.BranchFailed`` retriers and catchers match it. A Map with
``ToleratedFailureCount``/``ToleratedFailurePercentage`` instead fails only once the tolerance
is exceeded, with ``States.ExceedToleratedFailureThreshold``; the output slot of a tolerated
failure holds its ``{"Error", "Cause"}`` object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from senso_cli.sfn import payload
from senso_cli.sfn.errors import (
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    ITEM_READER_FAILED,
    RUNTIME,
    StatesError,
)
from senso_cli.sfn.events import Cursor
from senso_cli.sfn.scope import Cancelled, Scope, StateFailed

if TYPE_CHECKING:
    from senso_cli.sfn.states import Executor

# An inline Map runs at most 40 iterations at once on AWS, whatever MaxConcurrency says.
MAX_INLINE_CONCURRENCY = 40

RunOne = Callable[[int, Scope, Cursor], Any]
Tolerance = Callable[[int], bool]


def run_parallel(
    executor: Executor,
    name: str,
    state: Mapping[str, Any],
    effective: Any,
    context: dict[str, Any],
    scope: Scope,
    cursor: Cursor,
) -> list[Any]:
    branch_input = effective
    if "Parameters" in state:
        branch_input = payload.resolve_template(
            state["Parameters"], effective, context, executor.rng
        )
    branches = state["Branches"]
    executor.history.emit(cursor, "ParallelStateStarted")

    def run_branch(index: int, branch_scope: Scope, branch_cursor: Cursor) -> Any:
        return executor.run_machine(branches[index], branch_input, branch_scope, branch_cursor)

    try:
        results = _fan_out(len(branches), run_branch, len(branches), None, scope, cursor)
    except StatesError:
        executor.history.emit(cursor, "ParallelStateFailed")
        raise
    executor.history.emit(cursor, "ParallelStateSucceeded")
    return results


def run_map(
    executor: Executor,
    name: str,
    state: Mapping[str, Any],
    effective: Any,
    context: dict[str, Any],
    scope: Scope,
    cursor: Cursor,
) -> list[Any]:
    if "ItemReader" in state:
        raise StatesError(ITEM_READER_FAILED, "ItemReader is not supported by this interpreter.")
    items = payload.select_path(effective, state.get("ItemsPath", "$"), context, "ItemsPath")
    if not isinstance(items, list):
        raise StatesError(
            RUNTIME, f"Invalid path in ItemsPath: it must select an array, not {items!r:.100}"
        )
    selector = state.get("ItemSelector", state.get("Parameters"))
    inputs = items
    if selector is not None:
        inputs = [
            payload.resolve_template(
                selector,
                effective,
                {**context, "Map": {"Item": {"Index": index, "Value": item}}},
                executor.rng,
            )
            for index, item in enumerate(items)
        ]
    processor = state.get("ItemProcessor", state.get("Iterator"))
    limit = int(_count(state, "MaxConcurrency", effective, context) or 0)
    limit = min(limit or MAX_INLINE_CONCURRENCY, MAX_INLINE_CONCURRENCY)
    tolerance = _tolerance(state, effective, context, len(items))
    executor.history.emit(
        cursor, "MapStateStarted", "mapStateStartedEventDetails", {"length": len(items)}
    )

    def run_iteration(index: int, iteration_scope: Scope, iteration_cursor: Cursor) -> Any:
        details = {"name": name, "index": index}
        history = executor.history
        history.emit(
            iteration_cursor, "MapIterationStarted", "mapIterationStartedEventDetails", details
        )
        try:
            output = executor.run_machine(
                processor, inputs[index], iteration_scope, iteration_cursor
            )
        except StateFailed:
            history.emit(
                iteration_cursor, "MapIterationFailed", "mapIterationFailedEventDetails", details
            )
            raise
        except Cancelled:
            history.emit(
                iteration_cursor, "MapIterationAborted", "mapIterationAbortedEventDetails", details
            )
            raise
        history.emit(
            iteration_cursor, "MapIterationSucceeded", "mapIterationSucceededEventDetails", details
        )
        return output

    try:
        results = _fan_out(len(items), run_iteration, limit, tolerance, scope, cursor)
    except StatesError:
        executor.history.emit(cursor, "MapStateFailed")
        raise
    executor.history.emit(cursor, "MapStateSucceeded")
    return results


def _fan_out(
    count: int,
    run_one: RunOne,
    limit: int,
    tolerance: Tolerance | None,
    scope: Scope,
    cursor: Cursor,
) -> list[Any]:
    """Run ``run_one(i, ...)`` for every i on at most ``limit`` threads; results in order."""
    children = scope.child()
    results: list[Any] = [None] * count
    lock = threading.Lock()
    pending = iter(range(count))
    failures: list[StatesError] = []
    fatal: list[StatesError] = []
    crashed: list[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                index = None if fatal or children.cancelled else next(pending, None)
            if index is None:
                return
            try:
                results[index] = run_one(index, children, cursor.fork())
            except Cancelled:
                return
            except StateFailed as failed:
                with lock:
                    failures.append(failed.error)
                    results[index] = failed.error.as_output()
                    if not fatal and (tolerance is None or not tolerance(len(failures))):
                        fatal.append(_state_error(failed.error, tolerance))
                        children.cancel()
            except BaseException as exc:  # noqa: BLE001 -- a bug: stop everything, re-raise it below
                crashed.append(exc)
                children.cancel()
                return

    threads = [
        threading.Thread(target=worker, name=f"sfn-fanout-{n}", daemon=True)
        for n in range(min(limit, count))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    scope.unregister(children)
    if crashed:
        raise crashed[0]
    scope.check()
    if fatal:
        raise fatal[0]
    return results


def _state_error(error: StatesError, tolerance: Tolerance | None) -> StatesError:
    if tolerance is not None:
        return StatesError(
            EXCEED_TOLERATED_FAILURE_THRESHOLD,
            "The number of failed items exceeded the tolerated failure threshold.",
        )
    return StatesError(error.error, error.cause, from_branch=True)


def _count(state: Mapping[str, Any], field: str, effective: Any, context: Any) -> float | None:
    if field in state:
        value = state[field]
    elif f"{field}Path" in state:
        value = payload.select_path(effective, state[f"{field}Path"], context, f"{field}Path")
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise StatesError(RUNTIME, f"{field} must be a non-negative number, got {value!r}")
    return value


def _tolerance(
    state: Mapping[str, Any], effective: Any, context: Any, total: int
) -> Tolerance | None:
    count = _count(state, "ToleratedFailureCount", effective, context)
    percentage = _count(state, "ToleratedFailurePercentage", effective, context)
    if count is None and percentage is None:
        return None

    def tolerated(failures: int) -> bool:
        # Exceeding either threshold fails the Map.
        within_count = count is None or failures <= count
        within_percentage = percentage is None or failures * 100 <= percentage * total
        return within_count and within_percentage

    return tolerated
