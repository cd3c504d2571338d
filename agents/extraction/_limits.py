"""Limits on what a stage's sources may read: records and bytes per source, records in all.

A limit is held as the read goes, batch by batch (a query's fetch, an HTTP body's chunk,
a file's batch of lines), so a source that passes one stops there instead of being read
whole first. The reader raises :class:`LimitReached`; the extraction turns it into a
``LimitExceededError`` naming the source, which fails the stage: a result cut short
would look complete. Without limits (the library's default) nothing is held back.

Per source (the lower of the source's own and the stage's default)::

    max_rows / max_rows_per_source     records of the source
    max_bytes / max_bytes_per_source   a file's size, an API's response bodies (all
                                       pages), a query result's values in memory

Per stage: ``max_rows``, the records of all its sources together (inline ones too).
"""

from __future__ import annotations

import threading

from ._sources import ExtractionParams, Source


class LimitReached(Exception):  # noqa: N818 - a stop signal, like StopIteration
    """A source passed one of its limits; the message says which (not the source)."""


class StageRows:
    """The records all the sources of a stage have read, held to the stage's ``max_rows``.

    Shared by the sources' reads, some of which count from worker threads: a lock
    keeps the sum exact.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._read = 0
        self._lock = threading.Lock()

    def take(self, rows: int) -> None:
        """Count ``rows`` more records.

        Raises:
            LimitReached: the stage's records would pass its ``max_rows``.
        """
        if self.limit is None:
            return
        with self._lock:
            if self._read + rows > self.limit:
                raise LimitReached(
                    f"the stage's sources hold more than {self.limit:,} records in all, the "
                    f"most the stage may read (max_rows={self.limit:,}); reading stopped here"
                )
            self._read += rows

    def left(self) -> int | None:
        """Records the stage may still read (``None``: no limit)."""
        if self.limit is None:
            return None
        with self._lock:
            return self.limit - self._read


class Meter:
    """What one source has read, held to its own limits and to its stage's.

    Args:
        max_rows: most records of the source (``None``: no limit).
        max_bytes: most bytes of the source (``None``: no limit).
        stage: the stage's count of records, shared with its other sources.
        rows_setting: the param that set ``max_rows``, for the message.
        bytes_setting: the param that set ``max_bytes``, for the message.
    """

    def __init__(
        self,
        max_rows: int | None = None,
        max_bytes: int | None = None,
        stage: StageRows | None = None,
        *,
        rows_setting: str = "max_rows",
        bytes_setting: str = "max_bytes",
    ) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.stage = stage if stage is not None else StageRows(None)
        self.rows_setting = rows_setting
        self.bytes_setting = bytes_setting
        self.rows = 0
        self.bytes = 0

    @classmethod
    def for_source(cls, config: Source, settings: ExtractionParams, stage: StageRows) -> Meter:
        """The meter of a source: the lower of its own limits and the stage's defaults."""
        rows, rows_setting = _lower(
            getattr(config, "max_rows", None), "max_rows", settings.max_rows_per_source
        )
        size, bytes_setting = _lower(
            getattr(config, "max_bytes", None), "max_bytes", settings.max_bytes_per_source
        )
        return cls(
            rows,
            size,
            stage,
            rows_setting=rows_setting,
            bytes_setting=bytes_setting,
        )

    def add_rows(self, rows: int) -> None:
        """Count ``rows`` more records of the source.

        Raises:
            LimitReached: the source's or the stage's limit would be passed.
        """
        if self.max_rows is not None and self.rows + rows > self.max_rows:
            raise LimitReached(
                f"more than {self.max_rows:,} records, the most one source may give "
                f"({self.rows_setting}={self.max_rows:,}); reading stopped there"
            )
        self.stage.take(rows)
        self.rows += rows

    def add_bytes(self, size: int) -> None:
        """Count ``size`` more bytes read from the source.

        Raises:
            LimitReached: the source's byte limit would be passed.
        """
        if self.max_bytes is not None and self.bytes + size > self.max_bytes:
            raise LimitReached(
                f"more than {self.max_bytes:,} bytes, the most one source may read "
                f"({self.bytes_setting}={self.max_bytes:,}); reading stopped there"
            )
        self.bytes += size

    def check_size(self, size: int, what: str) -> None:
        """Refuse, before reading it, something known to be ``size`` bytes.

        Raises:
            LimitReached: naming ``what`` (``the file``) and its size.
        """
        if self.max_bytes is None:
            return
        left = self.max_bytes - self.bytes
        if size > left:
            raise LimitReached(
                f"{what} is {size:,} bytes, more than the {left:,} this source may still "
                f"read ({self.bytes_setting}={self.max_bytes:,}); it was not read"
            )

    def rows_left(self) -> int | None:
        """Records the source may still give (its own and the stage's limit); ``None``:
        no limit."""
        own = None if self.max_rows is None else self.max_rows - self.rows
        stage = self.stage.left()
        if own is None:
            return stage
        return own if stage is None else min(own, stage)

    def bytes_left(self) -> int | None:
        """Bytes the source may still read; ``None``: no limit."""
        return None if self.max_bytes is None else self.max_bytes - self.bytes


def _lower(own: int | None, own_name: str, stage: int | None) -> tuple[int | None, str]:
    """The lower of a source's own limit and the stage's default, with the param's name."""
    if own is not None and (stage is None or own <= stage):
        return own, own_name
    return stage, f"{own_name}_per_source"
