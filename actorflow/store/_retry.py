"""Retrying a finished run: which of its stages to run again, which to take over.

A retry is a new run of the old run's workflow and input, linked to it by
``runs.retry_of``. A stage that succeeded in the old run, and does not depend on a
stage that runs again, is not performed again: its stored outcome and output are
handed to the runtime as ``resume_from`` (the mechanism recovery after a crash uses),
and its row in the new run points at the same stored output. Every other stage runs:
those that did not succeed, the ``from_stage`` asked for, and everything downstream
of either.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from actorflow.contracts import (
    RUN_TERMINAL,
    ActorflowError,
    FrozenMap,
    StageOutcome,
    WorkflowSpec,
    load_workflow,
    thaw,
)

from ._errors import StoreError
from ._outputs import OutputFiles

RetryProblem = Literal["unknown_run", "running", "unknown_stage", "not_recorded", "missing"]


class RetryError(ActorflowError):
    """A run cannot be retried; the message says which run and what is missing.

    Attributes:
        problem: ``unknown_run``, ``running`` (still under way), ``unknown_stage`` (the
            ``from_stage``), ``not_recorded`` (its workflow or input) or ``missing`` (a
            stored output to take over is gone or unreadable).
    """

    def __init__(self, message: str, problem: RetryProblem) -> None:
        super().__init__(message)
        self.problem: RetryProblem = problem


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """What a retry submits.

    Attributes:
        retry_of: the run retried.
        spec: its workflow.
        input: its input (or the one given for the retry).
        context: its context.
        reused: the stages taken over, with their stored outcomes.
        rerun: the stages that run again, in declaration order.
    """

    retry_of: str
    spec: WorkflowSpec
    input: FrozenMap
    context: FrozenMap
    reused: Mapping[str, StageOutcome]
    rerun: tuple[str, ...]


def downstream(spec: WorkflowSpec, roots: Collection[str]) -> set[str]:
    """``roots`` and every stage depending on one of them, directly or not."""
    found = set(roots)
    for stage in spec.stages:  # declaration order lists dependencies first
        if found.intersection(stage.depends_on):
            found.add(stage.name)
    changed = True
    while changed:  # in case a workflow declares a stage before its dependencies
        changed = False
        for stage in spec.stages:
            if stage.name not in found and found.intersection(stage.depends_on):
                found.add(stage.name)
                changed = True
    return found


def plan(
    conn: sqlite3.Connection,
    outputs: OutputFiles,
    run_id: str,
    *,
    agents: Collection[str],
    from_stage: str | None = None,
    input: FrozenMap | None = None,
) -> RetryPlan:
    """What a retry of ``run_id`` runs again and what it takes over.

    Raises:
        RetryError: the run is unknown or still under way, ``from_stage`` is not one of
            its stages, its workflow or input was not recorded, or the stored output of
            a stage to take over is gone.
    """
    row = conn.execute(
        "SELECT status, spec_json, input_json, context_json FROM runs WHERE run_id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        raise RetryError(
            f"cannot retry run {run_id!r}: no such run in the run store", "unknown_run"
        )
    status, spec_json, input_json, context_json = row
    if status not in RUN_TERMINAL:
        raise RetryError(
            f"cannot retry run {run_id!r}: it is still {status}; wait for it to end or "
            "cancel it first",
            "running",
        )
    if spec_json is None:
        raise RetryError(
            f"cannot retry run {run_id!r}: its workflow was not recorded", "not_recorded"
        )
    try:
        spec = load_workflow(thaw(outputs.load(spec_json)), agents=agents)
    except (ActorflowError, StoreError) as exc:
        raise RetryError(
            f"cannot retry run {run_id!r}: its workflow cannot be used here: {exc}",
            "not_recorded",
        ) from exc
    names = [stage.name for stage in spec.stages]
    if from_stage is not None and from_stage not in names:
        raise RetryError(
            f"cannot retry run {run_id!r} from stage {from_stage!r}: its workflow "
            f"{spec.name!r} has no such stage (its stages: {', '.join(names)})",
            "unknown_stage",
        )
    try:
        stored_input = outputs.load(input_json) if input_json else FrozenMap()
        context = outputs.load(context_json) if context_json else FrozenMap()
    except StoreError as exc:
        raise RetryError(
            f"cannot retry run {run_id!r}: its input is missing: {exc}", "not_recorded"
        ) from exc
    rows = {
        stage: (agent, status, attempts, started, finished, duration, output, inexact)
        for stage, agent, status, attempts, started, finished, duration, output, inexact in (
            conn.execute(
                """
                SELECT stage, agent, status, attempts, started_at, finished_at, duration_s,
                       output_json, output_inexact
                FROM stages WHERE run_id = ?
                """,
                (run_id,),
            )
        )
    }
    failed = {name for name in names if name not in rows or rows[name][1] != "succeeded"}
    rerun = downstream(spec, failed | ({from_stage} if from_stage else set()))
    reused: dict[str, StageOutcome] = {}
    for name in names:
        if name in rerun:
            continue
        agent, _status, attempts, started, finished, duration, output, inexact = rows[name]
        where = f"cannot retry run {run_id!r}: the stored output of stage {name!r}"
        if output is None:
            raise RetryError(f"{where} was not recorded; retry with --from {name}", "missing")
        if inexact:
            raise RetryError(
                f"{where} cannot be restored ({inexact}); retry with --from {name}", "missing"
            )
        try:
            value = outputs.load(output)
        except StoreError as exc:
            raise RetryError(
                f"{where} is missing: {exc}; retry with --from {name}", "missing"
            ) from exc
        reused[name] = StageOutcome(
            stage=name,
            agent=agent,
            status="succeeded",
            output=value,
            attempts=attempts,
            started_at=started,
            finished_at=finished,
            duration_s=duration or 0.0,
        )
    return RetryPlan(
        retry_of=run_id,
        spec=spec,
        input=stored_input if input is None else input,
        context=context,
        reused=reused,
        rerun=tuple(name for name in names if name in rerun),
    )


def link(conn: sqlite3.Connection, run_id: str, retry_of: str, reused: Collection[str]) -> None:
    """Record, in the caller's transaction, that ``run_id`` retries ``retry_of`` and
    takes over the stored outputs of the stages ``reused``."""
    conn.execute("UPDATE runs SET retry_of = ? WHERE run_id = ?", (retry_of, run_id))
    conn.executemany(
        """
        UPDATE stages SET reused = 1, (agent, status, attempts, started_at, finished_at,
            duration_s, output_json, output_files, output_summary, output_inexact) = (
            SELECT agent, status, attempts, started_at, finished_at, duration_s,
                   output_json, output_files, output_summary, output_inexact
            FROM stages WHERE run_id = ? AND stage = ?)
        WHERE run_id = ? AND stage = ?
        """,
        [(retry_of, name, run_id, name) for name in reused],
    )
