"""Read queries: run lists, one run in full, dashboard figures."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection
from typing import Any

import msgspec

from actorflow.contracts import AnyEvent, ErrorInfo, FrozenMap, decode_event, freeze

from ._types import AgentStats, AttemptRecord, RunDetail, RunRecord, StageRecord, StoreStats

When = float | dt.datetime

_RUN_COLUMNS = (
    "run_id, workflow, status, started_at, finished_at, execution_time_s, progress, "
    "error_json, summary_json, resumes, retry_of"
)
_FINISHED = ("completed", "failed", "cancelled", "interrupted")


def _timestamp(when: When) -> float:
    return when.timestamp() if isinstance(when, dt.datetime) else float(when)


def _error(text: str | None) -> ErrorInfo | None:
    return None if text is None else msgspec.json.decode(text, type=ErrorInfo)


def _run(row: tuple[Any, ...]) -> RunRecord:
    (run_id, workflow, status, started, finished, exec_s, progress, error, summary, resumes,
     retry_of) = row  # fmt: skip
    stages = freeze(msgspec.json.decode(summary)["stages"]) if summary else None
    return RunRecord(
        run_id=run_id,
        workflow=workflow,
        status=status,
        started_at=started,
        finished_at=finished,
        execution_time_s=exec_s,
        progress=progress,
        error=_error(error),
        stages=stages,
        resumes=resumes,
        retry_of=retry_of,
    )


def _filters(  # noqa: PLR0917 - private; each caller passes every filter in this order
    status: str | Collection[str] | None,
    workflow: str | None,
    since: When | None,
    until: When | None,
    id_prefix: str | None,
    retries_of: str | None = None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
        params.extend(statuses)
    if workflow is not None:
        clauses.append("workflow = ?")
        params.append(workflow)
    if since is not None:
        clauses.append("started_at >= ?")
        params.append(_timestamp(since))
    if until is not None:
        clauses.append("started_at < ?")
        params.append(_timestamp(until))
    if id_prefix is not None:
        # A range, not LIKE: ``_`` (as in ``wf_``) is a LIKE wildcard; the range uses
        # the primary key's index. Run ids are ASCII, so U+10FFFF sorts after them all.
        clauses.append("run_id >= ? AND run_id < ?")
        params.extend((id_prefix, id_prefix + "\U0010ffff"))
    if retries_of is not None:
        clauses.append("retry_of = ?")
        params.append(retries_of)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def list_runs(
    conn: sqlite3.Connection,
    *,
    status: str | Collection[str] | None,
    workflow: str | None,
    since: When | None,
    until: When | None,
    id_prefix: str | None = None,
    retries_of: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[RunRecord, ...]:
    where, params = _filters(status, workflow, since, until, id_prefix, retries_of)
    rows = conn.execute(
        f"SELECT {_RUN_COLUMNS} FROM runs {where} "  # noqa: S608 - only fixed clauses are formatted in; values are bound
        "ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return tuple(_run(row) for row in rows)


def count_runs(
    conn: sqlite3.Connection,
    *,
    status: str | Collection[str] | None,
    workflow: str | None,
    id_prefix: str | None,
    retries_of: str | None = None,
) -> int:
    where, params = _filters(status, workflow, None, None, id_prefix, retries_of)
    (count,) = conn.execute(f"SELECT count(*) FROM runs {where}", params).fetchone()  # noqa: S608 - as above
    return int(count)


def run_ids(conn: sqlite3.Connection, prefix: str, limit: int) -> tuple[str, ...]:
    """Ids starting with ``prefix``, in order (at most ``limit``)."""
    rows = conn.execute(
        "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT ?",
        (prefix, prefix + "\U0010ffff", limit),
    ).fetchall()
    return tuple(row[0] for row in rows)


def get_run(conn: sqlite3.Connection, run_id: str) -> RunDetail | None:
    row = conn.execute(
        f"SELECT {_RUN_COLUMNS}, spec_json FROM runs WHERE run_id = ?",  # noqa: S608 - a constant
        (run_id,),
    ).fetchone()
    if row is None:
        return None
    history: dict[str, list[AttemptRecord]] = {}
    for stage, session, attempt, agent, status, started, finished, error in conn.execute(
        """
        SELECT stage, session, attempt, agent, status, started_at, finished_at, error_json
        FROM attempts WHERE run_id = ? ORDER BY session, attempt
        """,
        (run_id,),
    ):
        history.setdefault(stage, []).append(
            AttemptRecord(
                attempt=attempt,
                session=session,
                agent=agent,
                status=status,
                started_at=started,
                finished_at=finished,
                error=_error(error),
            )
        )
    stages = tuple(
        StageRecord(
            stage=stage,
            agent=agent,
            status=status,
            attempts=attempts,
            started_at=started,
            finished_at=finished,
            duration_s=duration,
            error=_error(error),
            has_output=bool(has_output),
            output_summary=summary,
            output_files=tuple(msgspec.json.decode(files)) if files else (),
            attempt_history=tuple(history.get(stage, ())),
            reused=bool(reused),
            cached=bool(cached),
        )
        for (
            stage,
            agent,
            status,
            attempts,
            started,
            finished,
            duration,
            error,
            has_output,
            summary,
            files,
            reused,
            cached,
        ) in conn.execute(
            """
            SELECT stage, agent, status, attempts, started_at, finished_at, duration_s,
                   error_json, output_json IS NOT NULL, output_summary, output_files, reused,
                   cached
            FROM stages WHERE run_id = ? ORDER BY position, stage
            """,
            (run_id,),
        )
    )
    events: tuple[AnyEvent, ...] = tuple(
        decode_event(body)
        for (body,) in conn.execute(
            "SELECT body FROM events WHERE run_id = ? ORDER BY id", (run_id,)
        )
    )
    spec = freeze(msgspec.json.decode(row[-1])) if row[-1] else None
    _, retries = retry_links(conn, run_id)
    return RunDetail(run=_run(row[:-1]), spec=spec, stages=stages, events=events, retries=retries)


def retry_links(conn: sqlite3.Connection, run_id: str) -> tuple[str | None, tuple[str, ...]]:
    """The run ``run_id`` retries, and the runs retrying it, oldest first."""
    row = conn.execute("SELECT retry_of FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    retries = tuple(
        retry
        for (retry,) in conn.execute(
            "SELECT run_id FROM runs WHERE retry_of = ? ORDER BY started_at, rowid", (run_id,)
        )
    )
    return (row[0] if row else None), retries


def stage_output_row(
    conn: sqlite3.Connection, run_id: str, stage: str
) -> tuple[str | None, str | None] | None:
    """``(output_json, output_files)`` of a stage; ``None`` if there is no such stage."""
    row = conn.execute(
        "SELECT output_json, output_files FROM stages WHERE run_id = ? AND stage = ?",
        (run_id, stage),
    ).fetchone()
    return None if row is None else (row[0], row[1])


def stats(conn: sqlite3.Connection, *, since: When | None, now: dt.datetime) -> StoreStats:
    start = _timestamp(since) if since is not None else float("-inf")
    midnight = now.astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    by_status = dict(
        conn.execute(
            "SELECT status, count(*) FROM runs WHERE started_at >= ? GROUP BY status", (start,)
        ).fetchall()
    )
    (runs_today,) = conn.execute(
        "SELECT count(*) FROM runs WHERE started_at >= ?", (midnight.timestamp(),)
    ).fetchone()
    (mean_s,) = conn.execute(
        "SELECT avg(execution_time_s) FROM runs WHERE status = 'completed' AND started_at >= ?",
        (start,),
    ).fetchone()
    finished = sum(by_status.get(s, 0) for s in _FINISHED)
    agents = tuple(
        AgentStats(
            agent=agent,
            executions=executions,
            succeeded=succeeded,
            success_rate=succeeded / executions if executions else None,
            mean_duration_s=mean,
        )
        for agent, executions, succeeded, mean in conn.execute(
            """
            SELECT a.agent, count(*), sum(a.status = 'succeeded'),
                   avg(a.finished_at - a.started_at)
            FROM attempts a JOIN runs r ON r.run_id = a.run_id
            WHERE a.status != 'running' AND r.started_at >= ?
            GROUP BY a.agent ORDER BY a.agent
            """,
            (start,),
        )
    )
    return StoreStats(
        runs_total=sum(by_status.values()),
        runs_today=runs_today,
        by_status=FrozenMap(by_status),
        success_rate=by_status.get("completed", 0) / finished if finished else None,
        mean_execution_time_s=mean_s,
        agents=agents,
    )
