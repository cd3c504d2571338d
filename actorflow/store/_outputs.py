"""Where stage outputs live: tagged JSON in the database, ``Records`` as Parquet beside it.

Layout, next to the database file::

    runs.db
    outputs/<run_id>/<stage>.parquet      the stage's output, or its first Records
    outputs/<run_id>/<stage>@2.parquet    further Records in the same output
    outputs/<run_id>/@input.parquet       Records given in the run's input

``@`` cannot appear in a stage name, so the names never collide. References in the JSON
are relative to the database's folder, so the database and its ``outputs`` folder can be
moved together. Files are written to a temporary name and renamed into place: a crash
never leaves a half-written file under a name the database points to.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl

from actorflow.contracts import Records, RecordsWriter

from ._codec import decode_value, describe, encode_value
from ._errors import StoreError

_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
INPUT_KEY = "@input"
CONTEXT_KEY = "@context"
#: Stored tables longer than this are read back as records on disk, not into memory.
ON_DISK_ROWS = 1_000_000


class StoredValue(NamedTuple):
    json: str
    files: tuple[str, ...]
    exact: bool
    inexact: tuple[str, ...]
    summary: str


def folder_name(run_id: str) -> str:
    """``run_id`` itself when it is a safe file name, else a digest of it."""
    if _SAFE.match(run_id) and run_id not in {".", ".."}:
        return run_id
    return "run-" + hashlib.sha256(run_id.encode()).hexdigest()[:32]


class OutputFiles:
    """Reads and writes values whose ``Records`` live in Parquet files under ``base``.

    Args:
        base: the folder holding the database; files go to ``base/outputs``.
    """

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "outputs"

    def run_folder(self, run_id: str) -> Path:
        return self.root / folder_name(run_id)

    def store(self, run_id: str, key: str, value: Any) -> StoredValue:
        """Encode ``value``, writing each ``Records`` in it to a Parquet file.

        Args:
            run_id: the run the value belongs to.
            key: the stage name, or ``INPUT_KEY``/``CONTEXT_KEY``.
            value: the value.
        """
        folder = self.run_folder(run_id)
        files: list[str] = []

        def sink(records: Records) -> str:
            name = f"{key}.parquet" if not files else f"{key}@{len(files) + 1}.parquet"
            target = folder / name
            _write_parquet(records, target)
            relative = target.relative_to(self.base).as_posix()
            files.append(relative)
            return relative

        encoded = encode_value(value, records=sink)
        return StoredValue(
            encoded.json, tuple(files), encoded.exact, encoded.inexact, describe(value)
        )

    def load(self, text: str) -> Any:
        """Decode a value written by :meth:`store`, reading its Parquet files.

        Raises:
            StoreError: a file it refers to is missing or unreadable.
        """
        return decode_value(text, records=self._read)

    def resolve(self, reference: str) -> Path:
        """The file behind a reference, refusing any that points outside ``outputs``."""
        path = (self.base / reference).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StoreError(
                f"output reference {reference!r} points outside {self.root}", path=path
            )
        return path

    def _read(self, reference: str) -> Records:
        path = self.resolve(reference)
        try:
            return _read_parquet(path)
        except FileNotFoundError as exc:
            raise StoreError(f"output file {path} is missing", path=path) from exc
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise StoreError(f"output file {path} cannot be read: {exc}", path=path) from exc

    def remove_run(self, run_id: str) -> None:
        shutil.rmtree(self.run_folder(run_id), ignore_errors=True)


def _read_parquet(path: Path) -> Records:
    """A stored table: in memory, or (over :data:`ON_DISK_ROWS` rows) streamed into
    records on disk, so that resuming a run over a big table holds no more memory than
    the run did (its outputs were on disk then too)."""
    rows = int(pl.scan_parquet(path).select(pl.len()).collect().item())  # the footer only
    if rows <= ON_DISK_ROWS:
        return Records(pl.read_parquet(path))
    with RecordsWriter() as writer:
        writer.sink(pl.scan_parquet(path))
        return writer.finish()


def _write_parquet(records: Records, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        records.write_parquet(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
