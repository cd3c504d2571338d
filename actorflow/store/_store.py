"""``RunStore``: the run history on disk, fed by a runtime's events, queried by the shell."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import msgspec

from actorflow._handle import RunHandle
from actorflow._ids import new_run_id
from actorflow._runtime import Runtime
from actorflow.bus import get_logger
from actorflow.contracts import (
    ActorflowError,
    Event,
    FrozenMap,
    RunFinished,
    RuntimeStoppedError,
    StageOutcome,
    WorkflowSpec,
    freeze,
)

from . import _cache, _queries, _resume, _retry
from ._connect import connect, default_path, enable_wal, write_transaction
from ._errors import StoreError, store_error
from ._journal import Journal, Recorded, StageEnded, Submitted
from ._outbox import CallbackOutbox
from ._outputs import OutputFiles
from ._queries import When
from ._schema import migrate
from ._types import Recovery, RunDetail, RunRecord, StoreStats
from ._writer import Writer

_log = get_logger("store")

_T = TypeVar("_T")


class _Recorder:
    """What a runtime calls: records a submission at once, hands every other fact to
    the writer.

    It is the runtime's observer (submissions, outcomes with their outputs) and the
    hub's listener (events). A submission is committed in the submitting thread before
    ``Runtime.submit`` returns, so no run id is handed out that a crash could lose; the
    rest (outcomes, events) comes from the coordinator's thread, which must not wait.
    """

    __slots__ = ("_cache", "_record_now", "_writer", "active", "retries")

    def __init__(
        self,
        writer: Writer,
        record_now: Callable[[Submitted], None],
        cache: _cache.StageCacheStore,
    ) -> None:
        self._writer = writer
        self._cache = cache
        self._record_now = record_now
        #: runs submitted and not finished yet (set operations are atomic under the GIL).
        self.active: set[str] = set()
        #: run ids about to be submitted as retries, and the run each one retries.
        self.retries: dict[str, str] = {}

    def run_submitted(
        self,
        run_id: str,
        spec: WorkflowSpec,
        input: FrozenMap,
        context: FrozenMap,
        resume_from: Mapping[str, StageOutcome],
    ) -> None:
        # A resumed run's reused stages are recorded already; a retry's are the old run's.
        retry_of = self.retries.pop(run_id, None)
        reused = tuple(resume_from) if retry_of is not None else ()
        # Raises StoreError when the run cannot be recorded: the runtime refuses it.
        self._record_now(Submitted(run_id, spec, input, context, time.time(), retry_of, reused))
        self.active.add(run_id)
        self._writer.put(Recorded(run_id))

    def stage_finished(self, run_id: str, outcome: StageOutcome) -> None:
        entry, taken = self._cache.finished(run_id, outcome)
        self._writer.put(StageEnded(run_id, outcome, entry, taken))

    def event(self, event: Event) -> None:
        if type(event) is RunFinished:
            self.active.discard(event.run_id)
        self._writer.put(event)


class RunStore:
    """Every run, stage outcome, attempt and event, in one SQLite file (WAL mode).

    Attach it to a runtime and it records what the runtime does. A submission is
    committed before ``Runtime.submit`` returns (a run id that was handed out survives a
    kill -9; the store cannot record it: the run is refused with a ``StoreError``);
    everything else goes through a writer thread that batches facts into transactions,
    so the coordinator never waits for the disk. Commits are durable against a crash of
    the process, not against a power cut (``synchronous=NORMAL`` in WAL mode). Several
    threads and processes may share one file.

    Args:
        path: the database file; by default ``$ACTORFLOW_DB``, else
            ``$XDG_DATA_HOME/actorflow/runs.db`` (``~/.local/share/actorflow/runs.db``).
            Stage outputs that are ``Records`` go to ``outputs/`` beside it.
        busy_timeout_s: how long a statement waits for another writer's lock.
        heartbeat_s: how often this store proves it is alive to other processes.
        lease_s: after how long without a heartbeat another process may take over this
            store's unfinished runs (only used across hosts or for a hung process: on
            the same host a dead pid is noticed at once).
        batch_size: most facts written in one transaction.

    Raises:
        StoreError: the file is locked, corrupt, not a run store, or from a newer version.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        busy_timeout_s: float = 5.0,
        heartbeat_s: float = 5.0,
        lease_s: float = 30.0,
        batch_size: int = 1000,
    ) -> None:
        if lease_s <= heartbeat_s:
            raise ValueError(f"lease_s ({lease_s}) must be longer than heartbeat_s ({heartbeat_s})")
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.busy_timeout_s = busy_timeout_s
        self.lease_s = lease_s
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        #: The webhook outbox: callbacks kept until delivered, even across restarts.
        self.callbacks = CallbackOutbox(self._use, owner=self.owner, host=self.host,
                                        lease_s=lease_s)  # fmt: skip
        self.outputs = OutputFiles(self.path.parent)
        self._lock = threading.Lock()
        # Keyed by id(); holding the runtime keeps that id from being reused meanwhile.
        self._attached: dict[int, tuple[Runtime, Callable[[], None]]] = {}
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder of run store {self.path}: {exc}", path=self.path
            ) from exc
        self._conn = connect(self.path, busy_timeout_s=busy_timeout_s)
        try:
            enable_wal(self._conn, path=self.path, busy_timeout_s=busy_timeout_s)
            migrate(self._conn, path=self.path, busy_timeout_s=busy_timeout_s)
            self._register_owner()
            writer_conn = connect(self.path, busy_timeout_s=busy_timeout_s)
        except BaseException:
            self._conn.close()
            raise
        try:
            # Submissions are written by the submitting threads, one at a time, on a
            # connection of their own: queries on ``_conn`` do not hold them up.
            self._submit_conn = connect(self.path, busy_timeout_s=busy_timeout_s)
        except BaseException:
            writer_conn.close()
            self._conn.close()
            raise
        self._submit_lock = threading.Lock()
        self._journal = Journal(self.outputs, self.owner)
        self._writer = Writer(
            writer_conn,
            self._journal,
            path=self.path,
            busy_timeout_s=busy_timeout_s,
            heartbeat_s=heartbeat_s,
            batch_size=batch_size,
            on_lost=self._lost,
        )
        #: The stage cache (``cache = true`` stages), kept in this store.
        self.cache = _cache.StageCacheStore(self._use, self.outputs)
        self._recorder = _Recorder(self._writer, self._record_submission, self.cache)

    # -- lifecycle ------------------------------------------------------------------------

    def _register_owner(self) -> None:
        def register(conn: sqlite3.Connection) -> None:
            now = time.time()
            with write_transaction(conn):
                conn.execute(
                    "INSERT INTO owners (owner, host, pid, started_at, heartbeat_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (self.owner, self.host, os.getpid(), now, now),
                )

        self._use("registering this process", register)

    def _use(self, doing: str, action: Callable[[sqlite3.Connection], _T]) -> _T:
        """``action(conn)`` on the store's own connection, its errors made StoreErrors."""
        with self._lock:
            if self._closed:
                raise StoreError(f"run store {self.path} is closed", path=self.path)
            try:
                return action(self._conn)
            except sqlite3.Error as exc:
                raise store_error(
                    exc, path=self.path, doing=doing, busy_timeout_s=self.busy_timeout_s
                ) from exc

    def _record_submission(self, fact: Submitted) -> None:
        """Commit a run's submission now (in the submitting thread).

        Raises:
            StoreError: it could not be recorded (disk full, locked past the busy
                timeout, store closed); the error says which run and why.
        """
        doing = f"recording the submission of run {fact.run_id}"
        with self._submit_lock:
            if self._closed:
                raise StoreError(
                    f"run store {self.path} is closed: run {fact.run_id} cannot be recorded",
                    path=self.path,
                )
            try:
                self._journal.record_submission(self._submit_conn, fact)
            except sqlite3.Error as exc:
                raise store_error(
                    exc, path=self.path, doing=doing, busy_timeout_s=self.busy_timeout_s
                ) from exc
            except (OSError, ActorflowError) as exc:  # the input's files next to the store
                raise StoreError(
                    f"run store {self.path}: {exc} while {doing}", path=self.path
                ) from exc

    def _lost(self, run_ids: frozenset[str], error: StoreError) -> None:
        """Stop, as failed, the runs under way whose facts could not be recorded.

        Called in the writer's thread. A run the store cannot follow must not go on
        as if it were recorded; how it ended is written once the disk takes it again.
        """
        with self._lock:
            runtimes = [runtime for runtime, _ in self._attached.values()]
        for run_id in run_ids & self._recorder.active:
            stopped = StoreError(
                f"the run store could not record run {run_id}, so it was stopped: {error}",
                path=self.path,
            )
            for runtime in runtimes:
                with contextlib.suppress(RuntimeStoppedError):
                    runtime.abort(run_id, stopped)  # a tell: never waits

    def flush(self, timeout: float | None = 10.0) -> None:
        """Wait until everything reported so far is on disk.

        Raises:
            StoreError: something could not be recorded (the error says what and why).
        """
        self._writer.flush(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        """Detach from every runtime, write what is queued, release the file.

        Runs still going in an attached runtime become orphans that the next
        :meth:`recover` resumes; to record how they end instead, stop the runtime first
        (``with RunStore() as store, Runtime() as rt:`` does).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            attached = list(self._attached.values())
            self._attached.clear()
        for _, detach in attached:
            detach()
        if self._recorder.active:
            _log.warning(
                "run store closed while runs were under way; the next recovery resumes them",
                path=str(self.path),
                runs=sorted(self._recorder.active),
            )
        try:
            self._writer.close(timeout)
        finally:
            with self._submit_lock:
                self._submit_conn.close()
            with self._lock:
                try:
                    with write_transaction(self._conn):
                        self._conn.execute("DELETE FROM owners WHERE owner = ?", (self.owner,))
                except sqlite3.Error as exc:
                    # Harmless: a missing pid or a stale heartbeat marks us dead all the same.
                    _log.warning("could not unregister from run store", error=str(exc))
                self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- runtimes -------------------------------------------------------------------------

    def attach(self, runtime: Runtime, *, recover: bool = True) -> tuple[Recovery, ...]:
        """Record everything ``runtime`` does from now on; recover orphaned runs.

        Register the runtime's agents first: recovery resumes a run only if the agents
        it needs are there (otherwise it marks it ``interrupted``, saying which agent).

        Args:
            runtime: the runtime to record.
            recover: also run :meth:`recover` on it.

        Returns:
            What recovery did, one entry per orphaned run.
        """
        with self._lock:
            if self._closed:
                raise StoreError(f"run store {self.path} is closed", path=self.path)
            if id(runtime) not in self._attached:
                _, unlisten = runtime.hub.subscribe(None, self._recorder.event)
                unobserve = runtime.observe(self._recorder)
                runtime.use_cache(self.cache)

                def detach() -> None:
                    runtime.use_cache(None)
                    unlisten()
                    unobserve()

                self._attached[id(runtime)] = (runtime, detach)
        return self.recover(runtime) if recover else ()

    def detach(self, runtime: Runtime) -> None:
        """Stop recording ``runtime`` (what it reported so far is still written)."""
        with self._lock:
            entry = self._attached.pop(id(runtime), None)
        if entry is not None:
            entry[1]()

    def recover(self, runtime: Runtime) -> tuple[Recovery, ...]:
        """Resume, on ``runtime``, runs left unfinished by a process that died.

        Each such run is resumed (its finished stages are not run again) or, when that is
        impossible (workflow invalid here, agents missing, outputs missing), marked
        ``interrupted`` with the reason. ``runtime`` should be attached, so the resumed
        runs are recorded.

        Returns:
            One ``Recovery`` per run found, saying what was done and why.
        """
        runtime.hub  # noqa: B018 - raises RuntimeStoppedError now, before any run is claimed
        now = time.time()
        orphans = self._use(
            "looking for unfinished runs",
            lambda conn: _resume.find_orphans(
                conn, me=self.owner, host=self.host, now=now, lease_s=self.lease_s
            ),
        )
        done = []
        for orphan in orphans:
            claimed = self._use(
                f"claiming run {orphan.run_id}",
                functools.partial(_resume.claim, orphan=orphan, me=self.owner, now=now),
            )
            if claimed:
                done.append(self._recover_one(runtime, orphan))
        return tuple(done)

    def _recover_one(self, runtime: Runtime, orphan: _resume.Orphan) -> Recovery:
        try:
            plan = self._use(
                f"reading run {orphan.run_id}",
                lambda conn: _resume.plan(conn, self.outputs, orphan.run_id, runtime.agent_names),
            )
            handle = runtime.submit(
                plan.spec,
                plan.input,
                context=plan.context,
                run_id=orphan.run_id,
                resume_from=plan.resume_from,
            )
        except RuntimeStoppedError:
            raise  # not the run's fault: it stays ours, and orphaned again when we close
        except (_resume.CannotResume, ActorflowError) as exc:
            reason = str(exc)
            self._use(
                f"marking run {orphan.run_id} interrupted",
                lambda conn: _resume.interrupt(conn, orphan.run_id, reason, now=time.time()),
            )
            _log.warning("run interrupted", run_id=orphan.run_id, reason=reason)
            return Recovery(orphan.run_id, orphan.workflow, "interrupted", reason=reason)
        _log.info("run resumed", run_id=orphan.run_id, reused=sorted(plan.resume_from))
        return Recovery(
            orphan.run_id,
            orphan.workflow,
            "resumed",
            reused=tuple(plan.resume_from),
            handle=handle,
        )

    # -- retries --------------------------------------------------------------------------

    def plan_retry(
        self,
        run_id: str,
        *,
        agents: Collection[str],
        from_stage: str | None = None,
        input: Mapping[str, Any] | None = None,
    ) -> _retry.RetryPlan:
        """What a retry of ``run_id`` would run again and take over (nothing is run).

        Args:
            run_id: the run to retry (a whole id).
            agents: the agents the retry can use (``Runtime.agent_names``).
            from_stage: also run this stage and everything downstream of it again.
            input: the retry's input instead of the old run's.

        Raises:
            RetryError: the run is unknown or still under way, ``from_stage`` is not
                one of its stages, or a stored output it needs is gone.
        """
        frozen = None if input is None else freeze(dict(input), where="input")
        return self._use(
            f"reading run {run_id}",
            lambda conn: _retry.plan(
                conn, self.outputs, run_id, agents=agents, from_stage=from_stage, input=frozen
            ),
        )

    def submit_retry(
        self, runtime: Runtime, plan: _retry.RetryPlan, *, run_id: str | None = None
    ) -> RunHandle:
        """Start, on ``runtime`` (attached to this store), the new run ``plan`` describes,
        recorded as a retry of ``plan.retry_of``; its taken-over stages are not run."""
        new_id = run_id or new_run_id()
        self._recorder.retries[new_id] = plan.retry_of
        try:
            return runtime.submit(
                plan.spec,
                plan.input,
                context=plan.context,
                run_id=new_id,
                resume_from=plan.reused,
            )
        finally:
            self._recorder.retries.pop(new_id, None)

    def retry(
        self,
        runtime: Runtime,
        run_id: str,
        *,
        from_stage: str | None = None,
        input: Mapping[str, Any] | None = None,
    ) -> RunHandle:
        """Retry ``run_id`` on ``runtime``: a new run of its workflow and input, taking
        over the stored outputs of the stages that succeeded and do not depend on one
        run again (see :meth:`plan_retry`).

        Raises:
            RetryError: as :meth:`plan_retry`.
        """
        plan = self.plan_retry(
            run_id, agents=runtime.agent_names, from_stage=from_stage, input=input
        )
        return self.submit_retry(runtime, plan)

    # -- queries --------------------------------------------------------------------------

    def cache_entries(self) -> tuple[_cache.CacheEntry, ...]:
        """The stage cache's entries, newest first."""
        return self.cache.entries()

    def clear_cache(self, *, stage: str | None = None) -> int:
        """Delete the stage cache's entries (of ``stage`` only, if given); the stored
        outputs stay with their runs. Returns how many were deleted."""

        def clear(conn: sqlite3.Connection) -> int:
            with write_transaction(conn):
                if stage is None:
                    return conn.execute("DELETE FROM cache").rowcount
                return conn.execute("DELETE FROM cache WHERE stage = ?", (stage,)).rowcount

        return self._use("clearing the stage cache", clear)

    def retry_links(self, run_id: str) -> tuple[str | None, tuple[str, ...]]:
        """The run ``run_id`` retries (``None``: none) and the runs retrying it, oldest
        first."""
        return self._use(
            f"reading the retries of run {run_id}",
            lambda conn: _queries.retry_links(conn, run_id),
        )

    def list_runs(
        self,
        *,
        status: str | Collection[str] | None = None,
        workflow: str | None = None,
        since: When | None = None,
        until: When | None = None,
        id_prefix: str | None = None,
        retries_of: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[RunRecord, ...]:
        """Runs, newest first.

        Args:
            status: one status or several.
            workflow: a workflow name.
            since: runs started at or after this (unix time or datetime).
            until: runs started before this.
            id_prefix: runs whose id starts with this.
            retries_of: runs retrying this run (a whole id).
            limit: at most this many.
            offset: skip this many first (for the next page).
        """
        return self._use(
            "listing runs",
            lambda conn: _queries.list_runs(
                conn,
                status=status,
                workflow=workflow,
                since=since,
                until=until,
                id_prefix=id_prefix,
                retries_of=retries_of,
                limit=limit,
                offset=offset,
            ),
        )

    def count_runs(
        self,
        *,
        status: str | Collection[str] | None = None,
        workflow: str | None = None,
        id_prefix: str | None = None,
        retries_of: str | None = None,
    ) -> int:
        """How many runs ``list_runs`` would find with these filters and no limit."""
        return self._use(
            "counting runs",
            lambda conn: _queries.count_runs(
                conn,
                status=status,
                workflow=workflow,
                id_prefix=id_prefix,
                retries_of=retries_of,
            ),
        )

    def run_ids(self, prefix: str, *, limit: int = 10) -> tuple[str, ...]:
        """The ids starting with ``prefix`` (a whole id finds itself), sorted, at most
        ``limit``: one means ``prefix`` names a run, more that it is ambiguous."""
        return self._use("finding runs by id", lambda conn: _queries.run_ids(conn, prefix, limit))

    def get_run(self, run_id: str) -> RunDetail | None:
        """A run with its spec, stages (with attempts) and events; ``None`` if unknown."""
        return self._use(f"reading run {run_id}", lambda conn: _queries.get_run(conn, run_id))

    def stats(self, *, since: When | None = None, now: dt.datetime | None = None) -> StoreStats:
        """Dashboard figures over runs started since ``since`` (all runs by default).

        Args:
            since: the window's start.
            now: the moment "today" is relative to (the current time by default).
        """
        moment = now or dt.datetime.now().astimezone()
        return self._use(
            "computing stats", lambda conn: _queries.stats(conn, since=since, now=moment)
        )

    def stage_output(self, run_id: str, stage: str) -> Any:
        """A stage's stored output, as the stage returned it (``Records`` read back).

        Raises:
            KeyError: no such run or stage, or no output recorded for it.
            StoreError: a file it refers to is missing or unreadable.
        """
        row = self._use(
            f"reading output of {run_id}/{stage}",
            lambda conn: _queries.stage_output_row(conn, run_id, stage),
        )
        if row is None or row[0] is None:
            raise KeyError(f"run {run_id!r} has no recorded output for stage {stage!r}")
        return self.outputs.load(row[0])

    def output_files(self, run_id: str, stage: str) -> tuple[Path, ...]:
        """The Parquet files of a stage's output (for downloads), first one first."""
        row = self._use(
            f"reading output of {run_id}/{stage}",
            lambda conn: _queries.stage_output_row(conn, run_id, stage),
        )
        if row is None or row[1] is None:
            return ()

        return tuple(self.outputs.resolve(ref) for ref in msgspec.json.decode(row[1]))

    def run_input(self, run_id: str) -> Any:
        """A run's stored input.

        Raises:
            KeyError: no such run, or its input was not recorded.
        """
        row = self._use(
            f"reading input of {run_id}",
            lambda conn: conn.execute(
                "SELECT input_json FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone(),
        )
        if row is None or row[0] is None:
            raise KeyError(f"run {run_id!r} has no recorded input")
        return self.outputs.load(row[0])

    @property
    def written(self) -> int:
        """Facts recorded so far by this store's writer."""
        return self._writer.written

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"
