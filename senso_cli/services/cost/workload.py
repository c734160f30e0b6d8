"""How much work a month holds: executions, state transitions, Fargate task-seconds and cells.

Transitions and tasks per execution are counted from the real ASL (the success path of a new
batch: StartAt, then Next, taking each Choice's Default, until the end). Step durations and
cells per org are assumptions from the pricing file, or measured from the local runtime's
history (`senso.sfn_executions`, `senso.sfn_history_events`) and senso's batches
(`question_run_batches`, `question_runs`, `senso.cell_runs`) with `--from-db`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.db.database import Database
from handlers.errors import InvalidInputError
from senso_cli.services.cost.pricing import PriceBook

MATRIX_STEP = "RunQuestionMatrixWithEvaluation"


def success_path(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(state name, type) of every state a fresh batch's successful execution enters."""
    states = definition.get("States", {})
    path: list[tuple[str, str]] = []
    name = definition.get("StartAt")
    while isinstance(name, str) and name in states and len(path) <= len(states):
        state = states[name]
        path.append((name, state.get("Type", "?")))
        if state.get("Type") in ("Succeed", "Fail") or state.get("End") is True:
            return path
        if state.get("Type") == "Choice":
            choices = state.get("Choices", [])
            name = state.get("Default") or (choices[0].get("Next") if choices else None)
        else:
            name = state.get("Next")
    raise InvalidInputError(
        "the state machine's success path does not end",
        hint="run `senso validate` to find the loop or the missing target",
    )


@dataclass(frozen=True)
class Measurements:
    """What the database says about recent runs; None where it had nothing to say."""

    executions: int = 0
    step_seconds: dict[str, float] = field(default_factory=dict)  # per attempt, by state
    retry_rate: float | None = None
    cells_per_org: float | None = None
    cells: int = 0
    seconds_per_cell: float | None = None
    batch_seconds: float | None = None
    answer_usd_per_cell: float | None = None
    eval_usd_per_cell: float | None = None
    simulated: bool = False


@dataclass(frozen=True)
class Workload:
    orgs_per_day: float
    cells_per_org: float
    transitions_per_execution: int  # success path, before retries
    task_states: list[str]  # Task states on the success path, in order
    retry_rate: float
    task_seconds: dict[str, float]  # per attempt, start-up included, before the minimum
    answer_usd_per_cell: float | None = None  # measured; None means "price it"
    eval_usd_per_cell: float | None = None
    measured: list[str] = field(default_factory=list)  # names of the measured quantities
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "orgs_per_day": self.orgs_per_day,
            "cells_per_org": self.cells_per_org,
            "transitions_per_execution": self.transitions_per_execution,
            "task_states": self.task_states,
            "retry_rate": self.retry_rate,
            "task_seconds": self.task_seconds,
            "answer_usd_per_cell": self.answer_usd_per_cell,
            "eval_usd_per_cell": self.eval_usd_per_cell,
            "measured": self.measured,
            "notes": self.notes,
        }


def assumed_task_seconds(book: PriceBook, tasks: list[str], cells: float) -> dict[str, float]:
    startup = float(book.assume("task_startup_seconds"))
    step = float(book.assume("step_seconds"))
    per_cell = float(book.assume("matrix_seconds_per_cell"))
    concurrency = float(book.assume("matrix_concurrency"))
    return {
        name: startup + (cells * per_cell / concurrency if name == MATRIX_STEP else step)
        for name in tasks
    }


def build_workload(
    book: PriceBook,
    definition: Mapping[str, Any],
    *,
    orgs_per_day: float,
    questions: int | None = None,
    models: int | None = None,
    locations: int | None = None,
    measured: Measurements | None = None,
) -> Workload:
    """The month's work: Q x M x L from flags (else measured, else assumed)."""
    path = success_path(definition)
    tasks = [name for name, kind in path if kind == "Task"]
    q = questions or int(book.assume("questions"))
    m = models or int(book.assume("models"))
    loc = locations or int(book.assume("locations"))
    cells = float(q * m * loc)
    names: list[str] = []
    notes = [f"cells per org = {q} questions x {m} models x {loc} locations = {cells:g}"]
    retry_rate = float(book.assume("retry_rate"))
    answer = evaluation = None
    explicit_matrix = any(v is not None for v in (questions, models, locations))
    if measured is not None and measured.cells_per_org and not explicit_matrix:
        cells = measured.cells_per_org
        names.append("cells_per_org")
        notes = [f"cells per org measured: {cells:.1f} on average"]
    seconds = assumed_task_seconds(book, tasks, cells)
    if measured is not None:
        startup = float(book.assume("task_startup_seconds"))
        for name, value in measured.step_seconds.items():
            if name in seconds:
                seconds[name] = startup + value
                names.append(f"seconds:{name}")
        if MATRIX_STEP not in measured.step_seconds and measured.batch_seconds:
            seconds[MATRIX_STEP] = startup + measured.batch_seconds
            names.append(f"seconds:{MATRIX_STEP}")
        if measured.retry_rate is not None:
            retry_rate = measured.retry_rate
            names.append("retry_rate")
        if measured.cells and not measured.simulated:
            answer, evaluation = measured.answer_usd_per_cell, measured.eval_usd_per_cell
            names += ["answer_usd_per_cell", "eval_usd_per_cell"]
        elif measured.cells:
            notes.append("the measured runs used the simulated provider: cell costs are priced")
        notes.append(
            f"measured over {measured.executions} executions and {measured.cells} cells "
            f"(Fargate start-up of {startup:g} s added to measured step times)"
        )
    return Workload(
        orgs_per_day=orgs_per_day,
        cells_per_org=cells,
        transitions_per_execution=len(path),
        task_states=tasks,
        retry_rate=retry_rate,
        task_seconds=seconds,
        answer_usd_per_cell=answer,
        eval_usd_per_cell=evaluation,
        measured=names,
        notes=notes,
    )


_HISTORY = """
SELECT h.execution_arn, h.event_type, h.timestamp, h.details
  FROM senso.sfn_history_events h JOIN senso.sfn_executions e USING (execution_arn)
 WHERE e.start_date >= %s
   AND h.event_type IN ('TaskStateEntered', 'TaskScheduled', 'TaskSucceeded', 'TaskFailed',
                        'TaskTimedOut')
 ORDER BY h.execution_arn, h.redrive_count, h.event_id
"""
# Only senso's own batches (senso.batches) measure senso; {batches}, {runs}, {evals} come from
# the table map.
_BATCHES = """
SELECT count(*) AS batches, avg(b.total_questions) AS cells,
       avg(extract(epoch FROM b.completed_at - b.started_at)) AS seconds
  FROM {batches} b JOIN senso.batches s ON s.batch_id = b.batch_id AND NOT s.shadow
 WHERE b.started_at >= %s AND b.status = 'completed'
"""
_CELLS = """
SELECT count(*) AS cells, avg(coalesce(q.total_cost, 0)) AS answer,
       avg(coalesce(e.total_cost, 0)) AS eval,
       avg(c.duration_ms) AS duration_ms, coalesce(bool_or(c.simulated), false) AS simulated
  FROM senso.cell_runs c
  JOIN {runs} q ON q.question_run_id = c.question_run_id
  LEFT JOIN {evals} e ON e.question_run_id = c.question_run_id
 WHERE c.status = 'completed' AND q.created_at >= %s
"""


def measure(db: Database, since: datetime) -> Measurements:
    """Step durations and retries from the runtime's history; cells and costs from batches."""
    durations: dict[str, list[float]] = defaultdict(list)
    entered: dict[str, int] = defaultdict(int)
    attempts: dict[str, int] = defaultdict(int)
    executions: set[str] = set()
    with db.connect() as conn:
        current, scheduled_at = "", None
        for row in conn.execute(_HISTORY, (since,)).fetchall():
            executions.add(row["execution_arn"])
            kind = row["event_type"]
            if kind == "TaskStateEntered":
                current = row["details"].get("stateEnteredEventDetails", {}).get("name", "?")
                entered[current] += 1
            elif kind == "TaskScheduled":
                scheduled_at = row["timestamp"]
                attempts[current] += 1
            elif scheduled_at is not None:
                durations[current].append((row["timestamp"] - scheduled_at).total_seconds())
                scheduled_at = None
        t = db.tables
        batches = (
            conn.execute(_BATCHES.format(batches=t.question_run_batches), (since,)).fetchone()
            or {}
        )
        cells = (
            conn.execute(
                _CELLS.format(runs=t.question_runs, evals=t.org_evals), (since,)
            ).fetchone()
            or {}
        )
    total_entered = sum(entered.values())
    retry_rate = (sum(attempts.values()) / total_entered - 1) if total_entered else None
    cell_count = int(cells.get("cells") or 0)
    return Measurements(
        executions=len(executions),
        step_seconds={name: sum(v) / len(v) for name, v in durations.items() if v},
        retry_rate=max(0.0, retry_rate) if retry_rate is not None else None,
        cells_per_org=float(batches["cells"]) if batches.get("cells") is not None else None,
        cells=cell_count,
        seconds_per_cell=float(cells["duration_ms"]) / 1000 if cells.get("duration_ms") else None,
        batch_seconds=float(batches["seconds"]) if batches.get("seconds") is not None else None,
        answer_usd_per_cell=float(cells["answer"]) if cell_count else None,
        eval_usd_per_cell=float(cells["eval"]) if cell_count else None,
        simulated=bool(cells.get("simulated")),
    )
