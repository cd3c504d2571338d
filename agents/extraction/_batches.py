"""The batches of one source, held in memory or written to disk as they come."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from actorflow.contracts import Records, RecordsWriter

from ._limits import Meter


class Batches:
    """Collects a source's batches; :meth:`finish` gives them as one table.

    Use it as a context manager: if the block raises, what was written to disk is
    deleted at once.

    Args:
        folder: where a table written to disk gets its folder; ``None``: memory only.
        over_bytes: with a ``folder``, hold batches in memory until together they pass
            this many bytes, then move them to disk with the rest (a query, whose size
            is known only as it is read). ``None``: every batch goes to disk (a file
            known to be big).
        meter: counts each batch's records against the source's limits, before the
            batch is kept (it raises ``LimitReached`` past one).
    """

    def __init__(
        self, folder: Path | None, *, over_bytes: int | None = None, meter: Meter | None = None
    ) -> None:
        self._frames: list[pl.DataFrame] = []
        self._held = 0
        self._folder = folder
        self._over = over_bytes
        self._writer: RecordsWriter | None = None
        self._meter = meter
        if folder is not None and over_bytes is None:
            self._writer = RecordsWriter(folder)

    def add(self, frame: pl.DataFrame) -> None:
        """Keep one batch (blocking: it may be written to disk)."""
        if not frame.height:
            return
        if self._meter is not None:
            self._meter.add_rows(frame.height)
        if self._writer is not None:
            self._writer.write(frame)
            return
        self._frames.append(frame)
        if self._folder is None or self._over is None:
            return
        self._held += int(frame.estimated_size())
        if self._held > self._over:
            self._writer = RecordsWriter(self._folder)
            for held in self._frames:
                self._writer.write(held)
            self._frames.clear()

    def discard(self) -> None:
        """Delete whatever was written to disk."""
        if self._writer is not None:
            self._writer.discard()

    def __enter__(self) -> Batches:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.discard()

    def finish(
        self, empty: pl.DataFrame, how: Literal["vertical", "diagonal"] = "vertical"
    ) -> pl.DataFrame | Records:
        """The batches as one table (``empty`` without any): ``Records`` if on disk."""
        if self._writer is not None and self._writer.height:
            table = self._writer.finish()
            return table if table.on_disk else table.frame  # rows without a column
        self.discard()
        # Batches stay chunks of one frame: rechunking would copy every column once more.
        return pl.concat(self._frames, how=how, rechunk=False) if self._frames else empty
