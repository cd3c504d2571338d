"""Recovery after a crash: find runs whose process died, resume them or say why not.

A run belongs to the store (one per process) that recorded it (``runs.owner``). Each
open store has a row in ``owners`` with its host, pid and a heartbeat the writer thread
renews. An owner is dead when its row is gone (closed, or cleaned up), when it is on
this host and its pid is gone (a kill -9 is noticed at once), or when its heartbeat is
older than the lease (another host, or a hung process). Runs still ``pending`` or
``running`` under a dead owner are orphans.

Recovery claims each orphan with a compare-and-set on the owner inside a write
transaction, so when several processes start at once each orphan is recovered by
exactly one of them. A claimed run either resumes (same run id; stages that finished
are not run again, their stored outcomes and outputs are handed to the coordinator) or
is marked ``interrupted`` with the reason, its unfinished stages closed and a terminal
event added. Either way no run stays silently unfinished. A stage that was running at
the crash runs again: stages are performed at least once, not exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import msgspec

from actorflow._process import pid_alive
from actorflow.contracts import (
    STAGE_TERMINAL,
    ActorflowError,
    ErrorInfo,
    Event,
    FrozenMap,
    RunFinished,
    StageFinished,
    StageOutcome,
    StageStatus,
    WorkflowSpec,
    load_workflow,
    thaw,
)

from ._connect import write_transaction
from ._errors import StoreError
from ._journal import INSERT_EVENT, error_json, event_row, finish_run
from ._outputs import OutputFiles


@dataclass(frozen=True, slots=True)
class Orphan:
    run_id: str
    workflow: str
    owner: str | None


@dataclass(frozen=True, slots=True)
class ResumePlan:
    spec: WorkflowSpec
    input: FrozenMap
    context: FrozenMap
    resume_from: Mapping[str, StageOutcome]


class CannotResume(Exception):  # noqa: N818 - a reason, caught inside this module only
    """Why a run cannot be resumed; becomes the ``interrupted`` reason."""


def find_orphans(
    conn: sqlite3.Connection, *, me: str, host: str, now: float, lease_s: float
) -> list[Orphan]:
    """Unfinished runs whose owner is dead, oldest first."""
    rows = conn.execute(
        """
        SELECT r.run_id, r.workflow, r.owner, o.host, o.pid, o.heartbeat_at
        FROM runs r LEFT JOIN owners o ON o.owner = r.owner
        WHERE r.status IN ('pending', 'running') AND r.owner IS NOT ?
        ORDER BY r.started_at
        """,
        (me,),
    ).fetchall()
    return [
        Orphan(run_id, workflow, owner)
        for run_id, workflow, owner, owner_host, pid, heartbeat_at in rows
        if not owner_alive(owner_host, pid, heartbeat_at, host=host, now=now, lease_s=lease_s)
    ]


def owner_alive(
    owner_host: str | None,
    pid: int | None,
    heartbeat_at: float | None,
    *,
    host: str,
    now: float,
    lease_s: float,
) -> bool:
    """Whether the store with this ``owners`` row (all ``None``: no row) is still open."""
    if owner_host is None or pid is None or heartbeat_at is None:
        return False
    return now - heartbeat_at < lease_s and not (owner_host == host and not pid_alive(pid))


def claim(conn: sqlite3.Connection, orphan: Orphan, *, me: str, now: float) -> bool:
    """Make this store the run's owner, unless another process got there first."""
    with write_transaction(conn):
        cursor = conn.execute(
            """
            UPDATE runs SET owner = ?, resumes = resumes + 1
            WHERE run_id = ? AND owner IS ? AND status IN ('pending', 'running')
            """,
            (me, orphan.run_id, orphan.owner),
        )
        if cursor.rowcount != 1:
            return False
        conn.execute(
            "UPDATE attempts SET status = 'interrupted', finished_at = ? "
            "WHERE run_id = ? AND status = 'running'",
            (now, orphan.run_id),
        )
        if orphan.owner is not None:
            conn.execute(
                "DELETE FROM owners WHERE owner = ? AND NOT EXISTS ("
                "  SELECT 1 FROM runs WHERE owner = ? AND status IN ('pending', 'running'))",
                (orphan.owner, orphan.owner),
            )
    return True


def plan(
    conn: sqlite3.Connection, outputs: OutputFiles, run_id: str, agents: Collection[str]
) -> ResumePlan:
    """What to resubmit: the stored spec, input and finished stages' outcomes.

    Raises:
        CannotResume: with the reason.
    """
    spec_json, input_json, context_json = conn.execute(
        "SELECT spec_json, input_json, context_json FROM runs WHERE run_id = ?", (run_id,)
    ).fetchone()
    if spec_json is None:
        raise CannotResume(
            "its workflow was not recorded (the store was attached while the run was under way)"
        )
    try:
        spec = load_workflow(thaw(outputs.load(spec_json)), agents=agents)
    except ActorflowError as exc:
        raise CannotResume(f"its workflow cannot be used here: {exc}") from exc
    try:
        input_ = outputs.load(input_json) if input_json else FrozenMap()
        context = outputs.load(context_json) if context_json else FrozenMap()
    except StoreError as exc:
        raise CannotResume(f"its input cannot be restored: {exc}") from exc
    resume_from = {}
    rows = conn.execute(
        """
        SELECT stage, agent, status, attempts, started_at, finished_at, duration_s,
               error_json, output_json, output_inexact
        FROM stages WHERE run_id = ? ORDER BY position
        """,
        (run_id,),
    ).fetchall()
    for stage, agent, status, attempts, started, finished, duration, error, output, inexact in rows:
        if status not in STAGE_TERMINAL:
            continue
        if status in ("skipped", "cancelled"):
            # Only a run that is ending closes stages like this: it died while failing or
            # being cancelled, and resuming would finish it as if nothing happened.
            raise CannotResume(f"it was ending when its process died (stage {stage!r} {status})")
        if output is None:
            raise CannotResume(f"stage {stage!r} finished but its output was not recorded")
        if inexact:
            raise CannotResume(f"the output of stage {stage!r} cannot be restored: {inexact}")
        try:
            value = outputs.load(output)
        except StoreError as exc:
            raise CannotResume(f"the output of stage {stage!r} cannot be restored: {exc}") from exc
        resume_from[stage] = StageOutcome(
            stage=stage,
            agent=agent,
            status=status,
            output=value,
            error=msgspec.json.decode(error, type=ErrorInfo) if error else None,
            attempts=attempts,
            started_at=started,
            finished_at=finished,
            duration_s=duration or 0.0,
        )
    return ResumePlan(spec, input_, context, resume_from)


def interrupt(conn: sqlite3.Connection, run_id: str, reason: str, *, now: float) -> None:
    """Mark a claimed run ``interrupted``: close its stages, add the terminal events."""
    error = ErrorInfo(
        type="RunInterrupted",
        message=f"the process running it stopped and it could not be resumed: {reason}",
    )
    with write_transaction(conn):
        started_at, progress = conn.execute(
            "SELECT started_at, progress FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        last = conn.execute(
            "SELECT seq, at FROM events WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,)
        ).fetchone()
        seq, last_at = last if last else (0, started_at)
        events: list[Event] = []
        stages = conn.execute(
            "SELECT stage, status, attempts FROM stages WHERE run_id = ? ORDER BY position",
            (run_id,),
        ).fetchall()
        for stage, status, attempts in stages:
            if status in STAGE_TERMINAL:
                continue
            closed: StageStatus = "skipped" if status == "pending" else "cancelled"
            seq += 1
            stage_error = ErrorInfo(type=error.type, message=error.message, stage=stage)
            events.append(
                StageFinished(
                    run_id=run_id,
                    seq=seq,
                    at=now,
                    progress=progress,
                    stage=stage,
                    status=closed,
                    attempts=attempts,
                    duration_s=0.0,
                    error=stage_error,
                )
            )
            conn.execute(
                "UPDATE stages SET status = ?, finished_at = ?, error_json = ? "
                "WHERE run_id = ? AND stage = ?",
                (closed, now, error_json(stage_error), run_id, stage),
            )
        execution_time_s = max(0.0, last_at - started_at)
        events.append(
            RunFinished(
                run_id=run_id,
                seq=seq + 1,
                at=now,
                progress=progress,
                status="interrupted",
                execution_time_s=execution_time_s,
                error=error,
            )
        )
        conn.executemany(INSERT_EVENT, [event_row(e) for e in events])
        finish_run(
            conn,
            run_id,
            status="interrupted",
            at=now,
            execution_time_s=execution_time_s,
            error=error,
        )
