"""The stage cache: outputs of stages with ``cache = true``, found again by a key.

The key is a SHA-256 digest of what the stage's output depends on: its agent's name and
version, its name, task and params, the run's input and the digests of its
dependencies' outputs. The name is in it because agents see it (``request.stage``): two
stages alike but for their names may give different outputs. Records are hashed by
content (polars ``hash_rows`` over every row, in order, with the schema), so two tables
with the same rows give one digest wherever they came from. An entry (table ``cache``)
names the run and stage whose stored output it is; a hit reads that output back and the
new run's stage row points at the same files.

Anything that goes wrong with an entry (expired, its run deleted, its files gone or
corrupt) is a miss, logged when it is not the ordinary kind, never an error: a miss only
costs the stage its run.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import msgspec
import polars as pl

from actorflow.actors.machinery import CacheHit
from actorflow.bus import get_logger
from actorflow.contracts import FrozenMap, Records, StageOutcome, StageSpec, thaw

from ._outputs import OutputFiles

_log = get_logger("store.cache")
_T = TypeVar("_T")
Use = Callable[[str, Callable[[sqlite3.Connection], _T]], _T]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One entry of the stage cache.

    Attributes:
        key: the digest the stage's inputs gave.
        run_id: the run whose stored output it is.
        stage: that run's stage.
        agent: the stage's agent.
        created_at: unix time it was stored.
        expires_at: unix time it stops being used (``None``: never).
    """

    key: str
    run_id: str
    stage: str
    agent: str
    created_at: float
    expires_at: float | None


#: Rows hashed at a time: records on disk are streamed, never read whole.
_SLICE_ROWS = 250_000


def _rows_digest(schema: Any, height: int, slices: Iterable[pl.DataFrame], sink: Any) -> None:
    sink.update(repr(dict(schema)).encode())
    sink.update(height.to_bytes(8, "little"))
    for piece in slices:
        if len(piece) and piece.width:
            # A fixed seed: the digest must be the same in every process. A row's hash
            # depends on the row alone, so slicing does not change the sequence.
            sink.update(piece.hash_rows(seed=0).to_numpy().tobytes())


def _feed(value: Any, sink: Any) -> None:
    """Feed ``value`` to the hash ``sink``, tagged by kind, so that ``1`` and ``"1"``
    or ``[1]`` and ``(1,)`` of different kinds never collide."""
    if isinstance(value, Records):
        sink.update(b"R")
        _rows_digest(value.schema, len(value), value.slices(_SLICE_ROWS), sink)
    elif isinstance(value, pl.DataFrame):
        sink.update(b"F")
        _rows_digest(value.schema, len(value), value.iter_slices(_SLICE_ROWS), sink)
    elif isinstance(value, Mapping):
        sink.update(b"M%d:" % len(value))
        for key in sorted(value, key=repr):
            _feed(key, sink)
            _feed(value[key], sink)
    elif isinstance(value, (list, tuple)):
        sink.update(b"L%d:" % len(value))
        for item in value:
            _feed(item, sink)
    elif isinstance(value, Decimal):
        sink.update(b"D" + str(value).encode() + b";")
    else:
        text = msgspec.json.encode(value, enc_hook=repr) if value is not None else b"null"
        sink.update(type(value).__name__.encode() + b":" + text + b";")


def digest(value: Any) -> str:
    """A content digest of a stage output or input (records hashed row by row)."""
    sink = hashlib.sha256()
    _feed(value, sink)
    return sink.hexdigest()


def cache_key(
    stage: StageSpec,
    *,
    agent_version: str,
    input: FrozenMap,
    dependencies: Mapping[str, StageOutcome],
) -> str:
    """The key of a stage's output: everything the output depends on, digested."""
    sink = hashlib.sha256()
    _feed(
        {
            "agent": stage.agent,
            "version": agent_version,
            "stage": stage.name,
            "task": stage.task,
            "params": thaw(stage.params),
            "input": digest(input),
            "dependencies": {
                name: digest(outcome.output) for name, outcome in sorted(dependencies.items())
            },
        },
        sink,
    )
    return sink.hexdigest()


class StageCacheStore:
    """The run store's side of the cache: lookups for the coordinator, entries to write.

    ``lookup`` runs in the coordinator's thread; the keys it computes wait in
    ``pending`` until the stage's outcome reaches the writer, which stores the entry
    (only a stage that succeeded gets one). Hits wait in ``taken`` the same way: the
    writer points the stage's row at the entry's output instead of storing it again.
    """

    def __init__(self, use: Use[Any], outputs: OutputFiles) -> None:
        self._use = use
        self._outputs = outputs
        self._lock = threading.Lock()
        #: (run_id, stage) -> (key, expires_at) of a stage looked up and missed.
        self.pending: dict[tuple[str, str], tuple[str, float | None]] = {}
        #: (run_id, stage) -> (run_id, stage) whose stored output a hit took.
        self.taken: dict[tuple[str, str], tuple[str, str]] = {}

    def lookup(
        self,
        run_id: str,
        stage: StageSpec,
        input: FrozenMap,
        dependencies: Mapping[str, StageOutcome],
        *,
        agent_version: str,
    ) -> CacheHit | None:
        try:
            key = cache_key(
                stage, agent_version=agent_version, input=input, dependencies=dependencies
            )
        except Exception as exc:  # noqa: BLE001 - an output we cannot digest: no cache
            _log.warning("stage not cached: its inputs cannot be digested", stage=stage.name,
                         run_id=run_id, error=repr(exc))  # fmt: skip
            return None
        now = time.time()
        expires = None if stage.cache_ttl_s is None else now + stage.cache_ttl_s
        hit = self._find(key, now, stage.name)
        with self._lock:
            if hit is None:
                self.pending[(run_id, stage.name)] = (key, expires)
                return None
            source, output = hit
            self.taken[(run_id, stage.name)] = source
        return CacheHit(output)

    def _find(self, key: str, now: float, stage: str) -> tuple[tuple[str, str], Any] | None:
        try:
            row = self._use(
                "looking up the stage cache",
                lambda conn: conn.execute(
                    """
                    SELECT c.run_id, c.stage, c.expires_at, s.output_json, s.output_inexact
                    FROM cache c LEFT JOIN stages s ON s.run_id = c.run_id AND s.stage = c.stage
                    WHERE c.key = ?
                    """,
                    (key,),
                ).fetchone(),
            )
        except Exception as exc:  # noqa: BLE001 - a cache that cannot answer is a miss
            _log.warning("stage cache unreadable: a miss", stage=stage, error=str(exc))
            return None
        if row is None:
            return None
        run_id, source_stage, expires_at, output_json, inexact = row
        if expires_at is not None and expires_at <= now:
            return None  # expired: a miss; the next success replaces the entry
        if output_json is None or inexact:
            return None  # its run or its output is gone
        try:
            output = self._outputs.load(output_json)
        except Exception as exc:  # noqa: BLE001 - deleted or corrupt files: a miss, logged
            _log.warning("stage cache entry unusable: a miss", stage=stage, key=key[:16],
                         source_run=run_id, error=str(exc))  # fmt: skip
            return None
        return (run_id, source_stage), output

    def finished(
        self, run_id: str, outcome: StageOutcome
    ) -> tuple[tuple[str, float | None] | None, tuple[str, str] | None]:
        """What the writer does with this outcome: ``(key, expires_at)`` of an entry to
        store, and the ``(run_id, stage)`` whose output a hit took."""
        where = (run_id, outcome.stage)
        with self._lock:
            pending = self.pending.pop(where, None)
            taken = self.taken.pop(where, None)
        return (pending if outcome.succeeded else None), taken

    def entries(self) -> tuple[CacheEntry, ...]:
        rows = self._use(
            "listing the stage cache",
            lambda conn: conn.execute(
                "SELECT key, run_id, stage, agent, created_at, expires_at FROM cache "
                "ORDER BY created_at DESC"
            ).fetchall(),
        )
        return tuple(CacheEntry(*row) for row in rows)


def write_entry(
    conn: sqlite3.Connection,
    run_id: str,
    outcome: StageOutcome,
    key: str,
    expires_at: float | None,
) -> None:
    """Store (or replace) the entry ``key`` -> this run's stage output."""
    conn.execute(
        """
        INSERT INTO cache (key, run_id, stage, agent, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET
            run_id = excluded.run_id, stage = excluded.stage, agent = excluded.agent,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        """,
        (key, run_id, outcome.stage, outcome.agent, time.time(), expires_at),
    )


def take_output(conn: sqlite3.Connection, run_id: str, stage: str, source: tuple[str, str]) -> None:
    """Point a cache hit's stage row at the stored output it took."""
    conn.execute(
        """
        UPDATE stages SET cached = 1, (output_json, output_files, output_summary,
            output_inexact) = (
            SELECT output_json, output_files, output_summary, output_inexact
            FROM stages WHERE run_id = ? AND stage = ?)
        WHERE run_id = ? AND stage = ?
        """,
        (*source, run_id, stage),
    )
