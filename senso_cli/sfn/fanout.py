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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from senso_cli.sfn import causes, jsonata, payload
from senso_cli.sfn.errors import (
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    ITEM_READER_FAILED,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    StatesError,
)
from senso_cli.sfn.events import Cursor
from senso_cli.sfn.scope import Cancelled, Scope, StateFailed

if TYPE_CHECKING:
    from senso_cli.sfn.stateio import StateEnv
    from senso_cli.sfn.states import Executor

# An inline Map runs at most 40 iterations at once on AWS, whatever MaxConcurrency says; a
# distributed Map runs up to 10,000 child workflow executions at once.
MAX_INLINE_CONCURRENCY = 40
MAX_DISTRIBUTED_CONCURRENCY = 10_000

RunOne = Callable[[int, Scope, Cursor], Any]
Tolerance = Callable[[int], bool]


def run_parallel(
    executor: Executor, env: StateEnv, effective: Any, scope: Scope, cursor: Cursor
) -> list[Any]:
    state = env.state
    branch_input = effective
    field = "Arguments" if env.jsonata else "Parameters"
    if field in state:
        branch_input = env.template(field, effective)
    branches = state["Branches"]
    executor.history.emit(cursor, "ParallelStateStarted")

    def run_branch(index: int, branch_scope: Scope, branch_cursor: Cursor) -> Any:
        return executor.run_machine(
            branches[index],
            branch_input,
            branch_scope,
            branch_cursor,
            variables=env.variables.nested(),
        )

    try:
        results = _fan_out(len(branches), run_branch, len(branches), None, scope, cursor)
    except StatesError:
        executor.history.emit(cursor, "ParallelStateFailed")
        raise
    executor.history.emit(cursor, "ParallelStateSucceeded")
    return results


def run_map(
    executor: Executor, env: StateEnv, effective: Any, scope: Scope, cursor: Cursor
) -> list[Any]:
    state, name = env.state, env.name
    if "ItemReader" in state:
        raise StatesError(ITEM_READER_FAILED, "ItemReader is not supported by this interpreter.")
    items = _items(env, effective)
    selector_field = "ItemSelector" if "ItemSelector" in state else "Parameters"
    inputs = items
    if selector_field in state:
        inputs = [
            _select_item(env, selector_field, effective, index, item)
            for index, item in enumerate(items)
        ]
    processor = state.get("ItemProcessor", state.get("Iterator"))
    limit = int(_count(env, "MaxConcurrency", effective, integer=True) or 0)
    mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
    cap = MAX_DISTRIBUTED_CONCURRENCY if mode == "DISTRIBUTED" else MAX_INLINE_CONCURRENCY
    limit = min(limit or cap, cap)
    tolerance = _tolerance(env, effective, len(items))
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
                processor,
                inputs[index],
                iteration_scope,
                iteration_cursor,
                variables=env.variables.nested(),
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
            EXCEED_TOLERATED_FAILURE_THRESHOLD, causes.tolerated_threshold_exceeded()
        )
    return StatesError(error.error, error.cause, from_branch=True, located=error.located)


def _items(env: StateEnv, effective: Any) -> list[Any]:
    if env.jsonata:
        if "Items" not in env.state:
            if not isinstance(env.raw, list):
                raise StatesError(QUERY_EVALUATION_ERROR, causes.items_not_array(env.raw))
            return list(env.raw)
        items = env.state["Items"]
        if jsonata.is_expression(items):
            expression = jsonata.body(items)
            items = env.expression(items, "Items")
            if not isinstance(items, list):
                raise StatesError(
                    QUERY_EVALUATION_ERROR,
                    causes.jsonata_unexpected_type(expression, "Items", "array", items),
                )
        else:
            items = env.expression(items, "Items")
    else:
        path = env.state.get("ItemsPath", "$")
        items = payload.select_path(effective, path, env.context, env.variables.view())
    if not isinstance(items, list):
        raise StatesError(RUNTIME, causes.items_not_array(items))
    return items


def _select_item(env: StateEnv, field: str, effective: Any, index: int, item: Any) -> Any:
    """ItemSelector for one item: only here does the context object have ``Map.Item``."""
    outer = env.context
    env.context = {**outer, "Map": {"Item": {"Index": index, "Value": item}}}
    try:
        return env.template(field, effective)
    finally:
        env.context = outer


def _count(env: StateEnv, field: str, effective: Any, *, integer: bool) -> float | None:
    state = env.state
    if field in state:
        value = state[field]
        if env.jsonata and jsonata.is_expression(value):
            value = env.expression(value, field)
    elif f"{field}Path" in state:
        path = state[f"{field}Path"]
        value = _number_text(
            payload.select_path(effective, path, env.context, env.variables.view())
        )
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (integer and value != int(value)):
            word = causes.path_not_integer if integer else causes.path_not_float
            raise StatesError(RUNTIME, word(f"{field}Path", value, path))
    else:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatesError(RUNTIME, f"{field} must be a number, got {value!r}")
    if field == "ToleratedFailureCount" and value < 0:
        raise StatesError(RUNTIME, causes.tolerated_count_negative())
    if field == "ToleratedFailurePercentage" and not 0 <= value <= 100:
        raise StatesError(RUNTIME, causes.tolerated_percentage_range())
    if value < 0:
        raise StatesError(RUNTIME, f"{field} must be a non-negative number, got {value!r}")
    return value


def _number_text(value: Any) -> Any:
    """The service parses these fields from text, so "2" is as good as 2."""
    if isinstance(value, str):
        for parse in (int, float):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    return value


def _tolerance(env: StateEnv, effective: Any, total: int) -> Tolerance | None:
    count = _count(env, "ToleratedFailureCount", effective, integer=True)
    percentage = _count(env, "ToleratedFailurePercentage", effective, integer=False)
    if count is None and percentage is None:
        return None

    def tolerated(failures: int) -> bool:
        # Exceeding either threshold fails the Map.
        within_count = count is None or failures <= count
        within_percentage = percentage is None or failures * 100 <= percentage * total
        return within_count and within_percentage

    return tolerated
