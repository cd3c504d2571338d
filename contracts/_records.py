"""``Records``: immutable, columnar record data that moves between actors in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ._stored import RecordsWriter, StoredPart, aligned, combined_schema, read_slices

#: Rows per slice when iterating stored records one row at a time.
_ITER_ROWS = 65_536


def query_engine(table: pl.DataFrame | Records) -> Literal["streaming", "in-memory"]:
    """The polars engine to collect a query over ``table`` with: records on disk are
    streamed (only the columns read, a batch at a time), anything else is in memory."""
    return "streaming" if isinstance(table, Records) and table.on_disk else "in-memory"


class Records:
    """An immutable table of records backed by a polars DataFrame (Arrow memory), or by
    Arrow IPC files on disk for tables too big to hold whole (see :class:`RecordsWriter`).

    Passing ``Records`` between actors costs nothing: the Arrow buffers (or the files)
    are shared. Each call to :attr:`frame` hands out a fresh copy-on-write view, so
    whatever a receiver does to its frame (even polars' in-place methods) never reaches
    the sender or any other receiver; stored files are read-only and never rewritten.

    Records on disk (:attr:`on_disk`) read the same through every method; :attr:`frame`
    reads the whole table into memory, so big ones are better read with :meth:`lazy`
    (a polars query, streamed) or :meth:`slices`. Their files are deleted when the last
    ``Records`` using them is garbage-collected: keep the ``Records`` while a query from
    :meth:`lazy` still has to run.
    """

    __slots__ = ("_frame", "_height", "_parts", "_schema")
    __actorflow_frozen__ = True

    def __init__(self, frame: pl.DataFrame | None = None) -> None:
        # Cloning is O(columns), not O(rows): it guards against the creator mutating
        # the frame it handed over.
        self._frame: pl.DataFrame | None = frame.clone() if frame is not None else pl.DataFrame()
        self._parts: tuple[StoredPart, ...] = ()
        self._schema: pl.Schema = self._frame.schema
        self._height: int = self._frame.height

    @classmethod
    def from_dicts(
        cls, rows: Iterable[Mapping[str, Any]], *, schema: Mapping[str, Any] | None = None
    ) -> Records:
        """Build from row dicts (missing keys become null)."""
        rows = list(rows)
        if not rows:
            return cls(pl.DataFrame(schema=schema))
        return cls(pl.DataFrame(rows, schema=schema, infer_schema_length=None))

    @classmethod
    def from_parts(cls, parts: Sequence[StoredPart]) -> Records:
        """Records on disk made of stored parts, in order (see :class:`RecordsWriter`);
        no parts make empty records in memory."""
        if not parts:
            return cls()
        records = cls.__new__(cls)
        records._frame = None
        records._parts = tuple(parts)
        records._schema = combined_schema(parts)
        records._height = sum(part.height for part in parts)
        return records

    @classmethod
    def concat(cls, parts: Sequence[Records]) -> Records:
        """Stack several batches; columns missing from a batch become null.

        When any batch is on disk, so is the result: the stored batches are reused as
        they are, and the ones in memory are written next to them. One batch is the
        result as it is (records are immutable).
        """
        if len(parts) == 1:
            return parts[0]
        if not any(p.on_disk for p in parts):
            frames = [p._frame for p in parts if p._frame is not None and p._frame.width]
            if not frames:
                return cls()
            return cls(pl.concat(frames, how="diagonal_relaxed"))
        stored: list[StoredPart] = []
        beside = next(p.location for p in parts if p.location is not None)
        with RecordsWriter(beside.parent) as writer:
            for part in parts:
                if part.on_disk:
                    stored.extend(part._parts)
                elif len(part):
                    before = len(writer.parts)
                    writer.write(part.frame)
                    stored.extend(writer.parts[before:])
        return cls.from_parts(stored)

    @property
    def on_disk(self) -> bool:
        """Whether the records are kept in files rather than in memory."""
        return bool(self._parts)

    @property
    def location(self) -> Path | None:
        """The folder holding the records' files (the first one's, if several); None
        for records in memory. Tables made from these are best written beside it:
        ``RecordsWriter(records.location.parent)``."""
        return self._parts[0].folder.path if self._parts else None

    @property
    def frame(self) -> pl.DataFrame:
        """A copy-on-write view: change it freely, no one else sees it (records on disk
        are read whole into memory)."""
        if self._frame is not None:
            return self._frame.clone()
        return self.lazy().collect()

    def lazy(self) -> pl.LazyFrame:
        """A lazy query over the records (over their files, for records on disk)."""
        if self._frame is not None:
            return self._frame.lazy()
        if len(self._parts) == 1:
            return self._parts[0].lazy
        return pl.concat([aligned(part, self._schema) for part in self._parts])

    def slices(self, rows: int) -> Iterator[pl.DataFrame]:
        """The records in order, at most ``rows`` at a time: bounded memory however big
        the table (only one slice of records on disk is read at a time)."""
        if rows < 1:
            raise ValueError(f"rows must be at least 1, got {rows}")
        if self._frame is not None:
            yield from self._frame.iter_slices(rows)
        else:
            yield from read_slices(self._parts, self._schema, rows)

    def write_parquet(self, path: str | Path) -> None:
        """Write the records to one Parquet file; records on disk are streamed from their
        files, never read whole."""
        if self._frame is not None:
            self._frame.write_parquet(path)
        else:
            self.lazy().sink_parquet(path)

    def map_columns(self, change: Callable[[pl.LazyFrame], pl.LazyFrame]) -> Records:
        """The records with a row-wise change of columns (add, rename, drop, cast).

        ``change`` must keep every row, in order. Records on disk stay on disk: the
        change becomes part of how their files are read, nothing is rewritten.
        """
        if self._frame is not None:
            return Records(change(self._frame.lazy()).collect())
        schema = self._schema
        return Records.from_parts([part.map(change, schema) for part in self._parts])

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._schema.names())

    @property
    def schema(self) -> Mapping[str, pl.DataType]:
        return dict(self._schema)

    def __len__(self) -> int:
        return self._height

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for piece in self.slices(_ITER_ROWS):
            yield from piece.iter_rows(named=True)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every record as a dict (fine for small outputs; use ``frame`` for big ones)."""
        return self.frame.to_dicts()

    def head(self, n: int = 5) -> Records:
        if self._frame is not None:
            return Records(self._frame.head(n))
        return Records(self.lazy().head(n).collect())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Records):
            return NotImplemented
        if self is other:
            return True
        if len(self) != len(other) or self.schema != other.schema:
            return False
        return self.frame.equals(other.frame)

    def __hash__(self) -> int:
        return hash((self.columns, len(self)))

    def __reduce__(self) -> tuple[type[Records], tuple[pl.DataFrame]]:
        # Records on disk travel (to a Ray worker, say) as their data: the receiver may
        # not see this machine's files, and must not delete them.
        return (Records, (self.frame,))

    def __repr__(self) -> str:
        where = ", on disk" if self.on_disk else ""
        return f"Records({len(self)} rows, columns={list(self.columns)}{where})"
