"""What reading one source gives: its records and facts about it, or a problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from actorflow.contracts import Records

from ._values import FieldStats


class ReadError(Exception):
    """A source could not be read; the message says where (line, record, page, field).

    Readers raise it without the source's name; the extraction adds the name and the
    source type when it turns the error into a ``SourceError``.

    Attributes:
        retryable: whether reading again could succeed (timeouts, 5xx, busy database).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(slots=True)
class SourceData:
    """The records of one source, all values strings or null.

    Attributes:
        frame: the records: a frame, or ``Records`` on disk for a file read to disk.
        info: facts for the output's ``sources`` entry (path, format, size, url, status).
        fields: field statistics of sources whose records may differ in fields (JSON,
            API, inline); ``None`` for sources with a fixed set of columns (CSV, SQL).
        warnings: warnings found while reading.
    """

    frame: pl.DataFrame | Records
    info: dict[str, Any] = field(default_factory=dict)
    fields: FieldStats | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
