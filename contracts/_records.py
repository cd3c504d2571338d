"""``Records``: immutable, columnar record data that moves between actors in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import polars as pl


class Records:
    """An immutable table of records backed by a polars DataFrame (Arrow memory).

    Passing ``Records`` between actors costs nothing: the Arrow buffers are shared. Each
    call to :attr:`frame` hands out a fresh copy-on-write view, so whatever a receiver
    does to its frame (even polars' in-place methods) never reaches the sender or any
    other receiver.
    """

    __slots__ = ("_frame",)
    __actorflow_frozen__ = True

    def __init__(self, frame: pl.DataFrame | None = None) -> None:
        # Cloning is O(columns), not O(rows): it guards against the creator mutating
        # the frame it handed over.
        self._frame = frame.clone() if frame is not None else pl.DataFrame()

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
    def concat(cls, parts: Sequence[Records]) -> Records:
        """Stack several batches; columns missing from a batch become null."""
        frames = [p._frame for p in parts if p._frame.width]
        if not frames:
            return cls()
        return cls(pl.concat(frames, how="diagonal_relaxed"))

    @property
    def frame(self) -> pl.DataFrame:
        """A copy-on-write view: change it freely, no one else sees it."""
        return self._frame.clone()

    def lazy(self) -> pl.LazyFrame:
        """A lazy query over the records."""
        return self._frame.lazy()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._frame.columns)

    @property
    def schema(self) -> Mapping[str, pl.DataType]:
        return dict(self._frame.schema)

    def __len__(self) -> int:
        return self._frame.height

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._frame.iter_rows(named=True)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Every record as a dict (fine for small outputs; use ``frame`` for big ones)."""
        return self._frame.to_dicts()

    def head(self, n: int = 5) -> Records:
        return Records(self._frame.head(n))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Records):
            return NotImplemented
        return self._frame.equals(other._frame)

    def __hash__(self) -> int:
        return hash((self.columns, len(self)))

    def __reduce__(self) -> tuple[type[Records], tuple[pl.DataFrame]]:
        return (Records, (self._frame,))

    def __repr__(self) -> str:
        return f"Records({len(self)} rows, columns={list(self.columns)})"
