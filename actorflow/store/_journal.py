"""What the store records, as SQL: one method per fact (a submission, an outcome, an event).

The writer thread hands a batch of facts to :meth:`Journal.write`, which does the slow
part first, outside any lock (encoding, Parquet files), then applies the whole batch in
one transaction. Facts arrive in the order they happened (the hub calls its listeners
under its lock, and the runtime reports a stage's outcome just before its
``StageFinished``), so each statement may rely on the ones before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from actorflow.contracts import (
    ErrorInfo,
    Event,
    FrozenMap,
    RunFinished,
    RunStarted,
    StageFinished,
    StageOutcome,
    StageProgress,
    StageRetrying,
    StageStarted,
    WorkflowSpec,
    encode_event,
)

from ._cache import take_output, write_entry
from ._connect import write_transaction
from ._outputs import CONTEXT_KEY, INPUT_KEY, OutputFiles, StoredValue
from ._retry import link

_encoder = msgspec.json.Encoder()
SPEC_KEY = "@spec"


@dataclass(frozen=True, slots=True)
class Submitted:
    """A run was submitted (or resubmitted by recovery)."""

    run_id: str
    spec: WorkflowSpec
    input: FrozenMap
    context: FrozenMap
    at: float
    #: the run this one retries, and the stages whose stored outputs it takes over.
    retry_of: str | None = None
    reused: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StageEnded:
    """A stage reached its terminal state in this process; carries its output."""

    run_id: str
    outcome: StageOutcome
    #: ``(key, expires_at)``: store a stage-cache entry for this output.
    cache_entry: tuple[str, float | None] | None = None
    #: ``(run_id, stage)`` whose stored output a cache hit took: not stored again.
    taken: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """A run whose submission :meth:`Journal.record_submission` committed: its row exists."""

    run_id: str


Fact = Submitted | StageEnded | Recorded | Event


def _ignore(_conn: sqlite3.Connection, _event: Event) -> None:
    return None


INSERT_EVENT = "INSERT INTO events (run_id, seq, type, at, stage, body) VALUES (?, ?, ?, ?, ?, ?)"
EventRow = tuple[str, int, str, float, str | None, str]


def event_row(event: Event) -> EventRow:
    stage = getattr(event, "stage", None)
    return (event.run_id, event.seq, event.kind, event.at, stage, encode_event(event).decode())


def error_json(error: ErrorInfo | None) -> str | None:
    return None if error is None else _encoder.encode(error).decode()


def spec_value(spec: WorkflowSpec) -> dict[str, Any]:
    """The spec as plain data shaped like a workflow file (what ``load_workflow`` reads)."""
    data = msgspec.structs.asdict(spec)
    data["stages"] = [msgspec.structs.asdict(stage) for stage in spec.stages]
    return data


@dataclass(slots=True)
class _Batch:
    """Work gathered across a batch and done once at its end."""

    events: list[EventRow] = field(default_factory=list)
    progress: dict[str, int] = field(default_factory=dict)


_Apply = Callable[[sqlite3.Connection, _Batch], None]
Step = _Apply | Event
"""A fact ready to be written: an event as it is, else the SQL left to run."""


class Journal:
    """Turns facts into rows.

    Args:
        outputs: where ``Records`` go.
        owner: this store's owner token, written on the runs it records.
    """

    def __init__(self, outputs: OutputFiles, owner: str) -> None:
        self._outputs = outputs
        self._owner = owner
        # Runs this journal has a row for; events of any other run (a store attached
        # while the run was under way) first make a placeholder row.
        self._known: set[str] = set()
        self._on_event: dict[type[Event], Callable[[sqlite3.Connection, Any], None]] = {
            RunStarted: self._run_started,
            StageStarted: self._stage_started,
            StageProgress: _ignore,
            StageRetrying: self._stage_retrying,
            StageFinished: self._stage_finished,
            RunFinished: self._run_finished,
        }

    def write(self, conn: sqlite3.Connection, steps: Sequence[Step]) -> None:
        """Apply prepared steps in one transaction."""
        batch = _Batch()
        known = set(self._known)
        try:
            self._write(conn, steps, batch)
        except BaseException:
            self._known = known  # rolled back with the transaction; a retry redoes it
            raise

    def _write(self, conn: sqlite3.Connection, steps: Sequence[Step], batch: _Batch) -> None:
        with write_transaction(conn):
            for step in steps:
                if isinstance(step, Event):
                    self._event(conn, batch, step)
                else:
                    step(conn, batch)
            conn.executemany(INSERT_EVENT, batch.events)
            # Progress only grows, so one update per run per batch says all the events did.
            conn.executemany(
                "UPDATE runs SET progress = max(progress, ?) WHERE run_id = ?",
                [(p, run_id) for run_id, p in batch.progress.items()],
            )

    def prepare(self, fact: Fact) -> Step:
        """Do the slow part of recording ``fact`` (encoding, files); return the SQL part.

        Events have no slow part (they are many and small): they are their own step.
        """
        if isinstance(fact, Event):
            return fact
        if isinstance(fact, StageEnded):
            if fact.taken is not None:
                return lambda conn, _batch: self._outcome(conn, fact, None)
            stored = self._outputs.store(fact.run_id, fact.outcome.stage, fact.outcome.output)
            return lambda conn, _batch: self._outcome(conn, fact, stored)
        if isinstance(fact, Recorded):
            return lambda _conn, _batch: self._known.add(fact.run_id)
        write = self._submission(fact)

        def submitted(conn: sqlite3.Connection, _batch: _Batch) -> None:
            write(conn)
            self._known.add(fact.run_id)

        return submitted

    def record_submission(self, conn: sqlite3.Connection, fact: Submitted) -> None:
        """Record a submission now, in a transaction of its own: committed on return.

        Called from the submitting thread with a connection of its own, so that a run
        exists on disk before its id is handed out. It touches nothing of the writer
        thread's: queue ``Recorded(run_id)`` afterwards so the writer knows the row.
        """
        write = self._submission(fact)
        with write_transaction(conn):
            write(conn)

    def _submission(self, fact: Submitted) -> Callable[[sqlite3.Connection], None]:
        """The slow part of a submission (its values, to files if large); the SQL left."""
        spec = self._outputs.store(fact.run_id, SPEC_KEY, spec_value(fact.spec))
        input_ = self._outputs.store(fact.run_id, INPUT_KEY, fact.input)
        context = self._outputs.store(fact.run_id, CONTEXT_KEY, fact.context)
        return lambda conn: self._submitted(conn, fact, spec, input_, context)

    def heartbeat(self, conn: sqlite3.Connection, now: float) -> None:
        with write_transaction(conn):
            conn.execute("UPDATE owners SET heartbeat_at = ? WHERE owner = ?", (now, self._owner))

    # -- facts ----------------------------------------------------------------------------

    def _submitted(
        self,
        conn: sqlite3.Connection,
        fact: Submitted,
        spec: StoredValue,
        input_: StoredValue,
        context: StoredValue,
    ) -> None:
        # A resubmission (recovery) keeps started_at and the stages' rows; it reopens
        # the run for this owner.
        conn.execute(
            """
            INSERT INTO runs (run_id, workflow, spec_json, input_json, context_json, status,
                              started_at, owner)
            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
            ON CONFLICT (run_id) DO UPDATE SET
                workflow = excluded.workflow, spec_json = excluded.spec_json,
                input_json = excluded.input_json, context_json = excluded.context_json,
                status = 'pending', owner = excluded.owner, finished_at = NULL,
                execution_time_s = NULL, error_json = NULL, summary_json = NULL
            """,
            (
                fact.run_id,
                fact.spec.name,
                spec.json,
                input_.json,
                context.json,
                fact.at,
                self._owner,
            ),
        )
        conn.executemany(
            """
            INSERT INTO stages (run_id, stage, position, agent, status)
            VALUES (?, ?, ?, ?, 'pending')
            ON CONFLICT (run_id, stage) DO UPDATE SET
                position = excluded.position, agent = excluded.agent
            """,
            [(fact.run_id, s.name, i, s.agent) for i, s in enumerate(fact.spec.stages)],
        )
        if fact.retry_of is not None:
            link(conn, fact.run_id, fact.retry_of, fact.reused)

    def _outcome(
        self, conn: sqlite3.Connection, fact: StageEnded, stored: StoredValue | None
    ) -> None:
        o = fact.outcome
        conn.execute(
            """
            INSERT INTO stages (run_id, stage, agent, status, attempts, started_at, finished_at,
                                duration_s, error_json, output_json, output_files,
                                output_summary, output_inexact)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, stage) DO UPDATE SET
                agent = excluded.agent, status = excluded.status, attempts = excluded.attempts,
                started_at = excluded.started_at, finished_at = excluded.finished_at,
                duration_s = excluded.duration_s, error_json = excluded.error_json,
                output_json = excluded.output_json, output_files = excluded.output_files,
                output_summary = excluded.output_summary,
                output_inexact = excluded.output_inexact
            """,
            (
                fact.run_id,
                o.stage,
                o.agent,
                o.status,
                o.attempts,
                o.started_at,
                o.finished_at,
                o.duration_s,
                error_json(o.error),
                stored.json if stored else None,
                _encoder.encode(stored.files).decode() if stored else None,
                stored.summary if stored else None,
                ("; ".join(stored.inexact) or None) if stored else None,
            ),
        )
        if fact.taken is not None:
            take_output(conn, fact.run_id, o.stage, fact.taken)
        if fact.cache_entry is not None and stored is not None and not stored.inexact:
            write_entry(conn, fact.run_id, o, *fact.cache_entry)

    def _event(self, conn: sqlite3.Connection, batch: _Batch, event: Event) -> None:
        run_id = event.run_id
        if run_id not in self._known and type(event) is not RunStarted:
            self._placeholder(conn, run_id, "", event.at)
        # An event type newer than this store is still kept in the events table.
        self._on_event.get(type(event), _ignore)(conn, event)
        batch.events.append(event_row(event))
        if event.progress > batch.progress.get(run_id, -1):
            batch.progress[run_id] = event.progress

    def _placeholder(self, conn: sqlite3.Connection, run_id: str, workflow: str, at: float) -> None:
        conn.execute(
            """
            INSERT INTO runs (run_id, workflow, status, started_at, owner)
            VALUES (?, ?, 'running', ?, ?)
            ON CONFLICT (run_id) DO NOTHING
            """,
            (run_id, workflow, at, self._owner),
        )
        self._known.add(run_id)

    def _run_started(self, conn: sqlite3.Connection, event: RunStarted) -> None:
        self._placeholder(conn, event.run_id, event.workflow, event.at)
        conn.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", (event.run_id,))
        conn.executemany(
            """
            INSERT INTO stages (run_id, stage, position, status) VALUES (?, ?, ?, 'pending')
            ON CONFLICT (run_id, stage) DO NOTHING
            """,
            [(event.run_id, name, i) for i, name in enumerate(event.stages)],
        )

    def _stage_started(self, conn: sqlite3.Connection, event: StageStarted) -> None:
        conn.execute(
            """
            INSERT INTO stages (run_id, stage, agent, status, attempts, started_at)
            VALUES (?, ?, ?, 'running', ?, ?)
            ON CONFLICT (run_id, stage) DO UPDATE SET
                status = 'running', agent = excluded.agent, attempts = excluded.attempts,
                started_at = coalesce(stages.started_at, excluded.started_at)
            """,
            (event.run_id, event.stage, event.agent, event.attempt, event.at),
        )
        conn.execute(
            """
            INSERT INTO attempts (run_id, stage, session, attempt, agent, status, started_at)
            VALUES (?, ?, (SELECT resumes FROM runs WHERE run_id = ?), ?, ?, 'running', ?)
            ON CONFLICT DO UPDATE SET
                status = 'running', started_at = excluded.started_at,
                finished_at = NULL, error_json = NULL
            """,
            (event.run_id, event.stage, event.run_id, event.attempt, event.agent, event.at),
        )

    def _end_attempt(
        self,
        conn: sqlite3.Connection,
        event: StageRetrying | StageFinished,
        *,
        attempt: int,
        status: str,
        error: ErrorInfo | None,
    ) -> None:
        # An update, never an insert: a stage that was reused by a resumed run reports
        # StageFinished without having run an attempt in this session.
        conn.execute(
            """
            UPDATE attempts SET status = ?, finished_at = ?, error_json = ?
            WHERE run_id = ? AND stage = ? AND attempt = ?
              AND session = (SELECT resumes FROM runs WHERE run_id = ?)
            """,
            (status, event.at, error_json(error), event.run_id, event.stage, attempt, event.run_id),
        )

    def _stage_retrying(self, conn: sqlite3.Connection, event: StageRetrying) -> None:
        timed_out = event.error.type == "StageTimeoutError"
        status = "timed_out" if timed_out else "failed"
        self._end_attempt(conn, event, attempt=event.attempt, status=status, error=event.error)
        conn.execute(
            "UPDATE stages SET status = 'retrying', error_json = ? WHERE run_id = ? AND stage = ?",
            (error_json(event.error), event.run_id, event.stage),
        )

    def _stage_finished(self, conn: sqlite3.Connection, event: StageFinished) -> None:
        self._end_attempt(
            conn, event, attempt=event.attempts, status=event.status, error=event.error
        )
        # The outcome (if reported) came just before with exact times; keep them.
        conn.execute(
            """
            INSERT INTO stages (run_id, stage, status, attempts, finished_at, duration_s,
                                error_json)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, stage) DO UPDATE SET
                status = excluded.status, attempts = excluded.attempts,
                finished_at = coalesce(stages.finished_at, excluded.finished_at),
                duration_s = excluded.duration_s, error_json = excluded.error_json
            """,
            (
                event.run_id,
                event.stage,
                event.status,
                event.attempts,
                event.at,
                event.duration_s,
                error_json(event.error),
            ),
        )

    def _run_finished(self, conn: sqlite3.Connection, event: RunFinished) -> None:
        finish_run(
            conn,
            event.run_id,
            status=event.status,
            at=event.at,
            execution_time_s=event.execution_time_s,
            error=event.error,
        )
        self._known.discard(event.run_id)


def finish_run(
    conn: sqlite3.Connection,
    run_id: str,
    *,
    status: str,
    at: float,
    execution_time_s: float | None,
    error: ErrorInfo | None,
) -> None:
    """Record a run's terminal state with a summary of its stages' statuses."""
    conn.execute(
        """
        UPDATE runs SET
            status = ?, finished_at = ?, execution_time_s = ?, error_json = ?,
            summary_json = (
                SELECT json_object('stages', json_group_object(stage, status))
                FROM (SELECT stage, status FROM stages WHERE run_id = ?
                      ORDER BY position, stage)
            )
        WHERE run_id = ?
        """,
        (status, at, execution_time_s, error_json(error), run_id, run_id),
    )
