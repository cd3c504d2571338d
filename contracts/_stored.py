"""Record data kept on disk: Arrow IPC files in a folder of their own.

A table too big to hold in memory whole (a 10M-row file, the records processed from it)
is written a part at a time into a fresh folder under the spill root, and read back a
part or a slice at a time. The folder is owned by the parts that name its files: when
the last ``Records`` using them is gone (or the process exits), the folder is deleted.

The parts are LZ4-compressed. Besides being about three times smaller on disk, a
compressed file is decoded into ordinary memory that is given back when a slice is
dropped; an uncompressed one is memory-mapped, and every mapped page read stays in the
process's resident memory until the whole scan ends (measured: 1.9 GiB to rewrite a
1.2 GiB file, 0.96 GiB compressed).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from ._records import Records

#: The environment variable naming the folder spilled records go under (default: the
#: system's temporary folder).
SPILL_DIR_ENV = "ACTORFLOW_SPILL_DIR"


def spill_root() -> Path:
    """Where folders of spilled records are made: ``$ACTORFLOW_SPILL_DIR`` or the temp dir."""
    return Path(os.environ.get(SPILL_DIR_ENV) or tempfile.gettempdir())


class _Folder:
    """A folder of part files, deleted when the last part naming it is garbage-collected
    (or at interpreter exit, whichever comes first)."""

    __slots__ = ("__weakref__", "_removal", "path")

    def __init__(self, root: Path | None) -> None:
        root = root if root is not None else spill_root()
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix="actorflow-records-", dir=root))
        self._removal = weakref.finalize(self, shutil.rmtree, self.path, True)

    def remove(self) -> None:
        self._removal()


@dataclass(frozen=True, slots=True, eq=False)
class StoredPart:
    """One file of a stored table.

    Attributes:
        lazy: a scan of the file, maybe with row-wise column changes on top.
        height: its rows.
        folder: the folder the file is in; held so that the file lives as long as this.
    """

    lazy: pl.LazyFrame
    height: int
    folder: _Folder

    def map(
        self, change: Callable[[pl.LazyFrame], pl.LazyFrame], schema: Mapping[str, pl.DataType]
    ) -> StoredPart:
        """This part read through ``change``, after aligning it to the table's ``schema``."""
        return StoredPart(change(aligned(self, schema)), self.height, self.folder)


class RecordsWriter:
    """Writes a table to disk a part at a time; :meth:`finish` gives it as ``Records``.

    Use it as a context manager: if the block raises, the files written so far are
    deleted at once. Parts may differ in columns and types; the records then read as
    polars' ``diagonal_relaxed`` concatenation of them, like ``Records.concat``.

    Args:
        folder: the folder to make the table's own folder in (default: :func:`spill_root`).
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        self._folder = _Folder(Path(folder) if folder is not None else None)
        self._parts: list[StoredPart] = []
        self._empty: pl.DataFrame | None = None
        # Rows without a column (records with no field) have nothing a file can hold:
        # they wait for columns to be written in (the next frame's, or the last one's).
        self._columnless = 0
        self._columns: pl.Schema | None = None

    @property
    def path(self) -> Path:
        """The table's folder."""
        return self._folder.path

    @property
    def parts(self) -> tuple[StoredPart, ...]:
        """The parts written so far."""
        return tuple(self._parts)

    @property
    def height(self) -> int:
        """Rows written so far."""
        return sum(part.height for part in self._parts) + self._columnless

    def _next_path(self) -> Path:
        return self._folder.path / f"part-{len(self._parts):06d}.arrow"

    def _add(self, path: Path, height: int) -> None:
        path.chmod(0o444)  # written once, never changed: only read from now on
        self._parts.append(StoredPart(pl.scan_ipc(path), height, self._folder))

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame``'s rows as one part (a frame without rows adds no file; rows
        without a column become null rows of the columns written next)."""
        if not frame.height:
            if self._empty is None and frame.width:
                self._empty = frame.clear()
            return
        if not frame.width:
            self._columnless += frame.height
            return
        if self._columnless:
            frame = pl.concat([frame.clear(self._columnless), frame])
            self._columnless = 0
        self._columns = frame.schema
        path = self._next_path()
        frame.write_ipc(path, compression="lz4")
        self._add(path, frame.height)

    def sink(self, query: pl.LazyFrame) -> int:
        """Stream ``query``'s result into one part with polars' streaming engine (never
        holding it whole); returns its rows."""
        path = self._next_path()
        query.sink_ipc(path, compression="lz4")
        height = int(pl.scan_ipc(path).select(pl.len()).collect().item())
        if height:
            self._add(path, height)
        else:
            if self._empty is None:
                self._empty = pl.scan_ipc(path).collect()
            path.unlink()
        return height

    def finish(self) -> Records:
        """The table written. Without a row it is an ordinary in-memory ``Records`` (with
        the columns of the first frame written, if any)."""
        from ._records import Records  # noqa: PLC0415  # _records imports this module

        if self._columnless:
            rows, self._columnless = self._columnless, 0
            if self._columns is None:  # not one column in the whole table
                self._folder.remove()
                return Records(pl.DataFrame(height=rows))
            self.write(pl.DataFrame(schema=self._columns).clear(rows))
        if not self._parts:
            self._folder.remove()
            return Records(self._empty)
        return Records.from_parts(self._parts)

    def discard(self) -> None:
        """Delete everything written."""
        self._parts.clear()
        self._columnless = 0
        self._folder.remove()

    def __enter__(self) -> RecordsWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.discard()


def combined_schema(parts: Sequence[StoredPart]) -> pl.Schema:
    """The schema of the parts stacked like ``pl.concat(how="diagonal_relaxed")``."""
    schemas = [part.lazy.collect_schema() for part in parts]
    if all(schema == schemas[0] for schema in schemas):
        return schemas[0]
    empty = [pl.LazyFrame(schema=schema) for schema in schemas]
    return pl.concat(empty, how="diagonal_relaxed").collect_schema()


def aligned(part: StoredPart, schema: Mapping[str, pl.DataType]) -> pl.LazyFrame:
    """The part's rows with exactly ``schema``'s columns and types (absent ones null)."""
    own = part.lazy.collect_schema()
    if own == schema:
        return part.lazy
    return part.lazy.select(
        pl.col(name).cast(dtype) if name in own else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )


def read_slices(
    parts: Sequence[StoredPart], schema: Mapping[str, pl.DataType], rows: int
) -> Iterator[pl.DataFrame]:
    """The parts' rows in order, ``rows`` at a time (the last slice may be shorter).

    Each part is sliced on its own: a slice of a concatenation of scans would make
    polars read every file up to the slice, each time.
    """
    buffer: list[pl.DataFrame] = []
    have = 0
    for part in parts:
        lazy = aligned(part, schema)
        offset = 0
        while offset < part.height:
            take = min(rows - have, part.height - offset)
            buffer.append(lazy.slice(offset, take).collect())
            have += take
            offset += take
            if have == rows:
                yield _joined(buffer)
                buffer, have = [], 0
    if buffer:
        yield _joined(buffer)


def _joined(pieces: list[pl.DataFrame]) -> pl.DataFrame:
    return pieces[0] if len(pieces) == 1 else pl.concat(pieces, rechunk=False)
