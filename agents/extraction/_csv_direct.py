"""Reading a whole UTF-8 CSV file with one polars call, proven equal to the batched parse.

The batched reader (``_file._read_csv_batches``) decodes the file in Python, batch by batch, to
check it and to name the line of any problem. For a well-formed file that work finds
nothing, and it costs more than the parse itself. So a big file is first read directly:
polars parses it from disk (in a worker thread, on every core) while this module scans
the raw bytes, and the result is kept only when it provably equals what the batched
reader would give:

- the encoding is UTF-8 (polars refuses invalid UTF-8 in any field: that is a failure
  here, and the batched reader then names the line and column);
- no NUL byte anywhere (polars would keep it; the batched reader reports it);
- polars parsed without error (it refuses rows with too many fields and stray quotes);
- no row is short. polars pads a short row with nulls and turns a blank line into a row
  of nulls, so when the last column has no null, every row had all its fields. When it
  has nulls, the delimiters outside quoted fields must number exactly (columns - 1) per
  row; those inside quoted fields are exactly those in the parsed values (an unquoted
  value cannot hold one), so they are counted there.

When any of these fails, nothing is lost but time: the batched reader starts over and
reports the problem with its line. The layout (delimiter, header) is decided by the same
``CsvParser.start`` on the same first 16K characters either way.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiofiles
import polars as pl

from actorflow.contracts import Records, RecordsWriter, query_engine

from ._csv import SNIFF_CHARS, CsvParser, polars_options
from ._result import ReadError
from ._text import text_batches

#: polars learned ``skip_lines`` (raw lines, as the parser counts the header) in its 1.x
#: series; without it every file is read in batches.
_CAN_SKIP_LINES = "skip_lines" in inspect.signature(pl.read_csv).parameters
#: The head decoded to decide the layout: enough for the sniffing sample.
_HEAD_CHARS = 64 * 1024
#: The raw bytes are scanned in pieces of at least this size.
_MIN_SCAN_BYTES = 1024 * 1024


async def read_csv_direct(
    path: Path,
    parser: CsvParser,
    *,
    encoding: str,
    batch_bytes: int,
    check_cancelled: Callable[[], None],
    spill: Path | None = None,
    max_rows: int | None = None,
) -> pl.DataFrame | Records | None:
    """The file's records parsed by polars in one call, or ``None`` when unproven.

    Args:
        path: the file.
        parser: a fresh parser; its layout is decided here (``start``).
        encoding: the source's encoding; only UTF-8 is read directly.
        batch_bytes: the batched reader's batch size (the head is no larger).
        check_cancelled: called between pieces of the scan; raises to stop.
        spill: stream the records to disk (polars' streaming engine), into a folder
            made in this one, instead of reading them into memory; they come back as
            ``Records`` on disk.
        max_rows: parse no more than one record past this; a file that has more is
            left to the batched reader, which counts records exactly (polars counts a
            blank line as a row) and stops at its limit.

    Returns:
        The records, exactly as the batched reader would parse them; ``None`` when the
        file cannot be proven well formed this way (the batched reader must then run,
        with a parser of its own).
    """
    if codecs.lookup(encoding).name != "utf-8" or not _CAN_SKIP_LINES:
        return None
    skipped = await _layout(path, parser, encoding, batch_bytes, check_cancelled)
    layout = parser.layout
    if skipped is None or layout is None:
        return None
    # The header and leading blank lines are whole lines, skipped by polars too (it
    # counts raw line breaks, as the parser did).
    options = polars_options(layout)
    lines = skipped.count("\n")
    n_rows = None if max_rows is None else max(max_rows, 0) + 1
    reading: Callable[[], pl.DataFrame | Records | None] = (
        _parse(path, options, lines, n_rows)
        if spill is None
        else _sink(path, options, lines, spill, n_rows)
    )
    parsing = asyncio.ensure_future(asyncio.to_thread(reading))
    try:
        clean = await _scan(path, None, batch_bytes, check_cancelled) is not None
    except BaseException:
        parsing.cancel()  # the thread runs on, but its frame is dropped as soon as it ends
        raise
    # Awaited even when the scan found a NUL, so that no stray thread still holds a whole
    # file's frame while the batched reader starts over.
    table = await parsing
    cut_short = table is not None and n_rows is not None and len(table) >= n_rows
    if not clean or table is None or len(table.columns) != len(layout.columns) or cut_short:
        return None  # cut short: the proofs below need the whole file
    # The checks are queries, streamed over records on disk: one column at a time.
    engine = query_engine(table)
    last = table.lazy().select(pl.col(table.columns[-1]).null_count()).collect(engine=engine)
    if last.item() == 0:
        return table  # no padded row, no blank line
    delimiter = layout.delimiter
    found = await _scan(path, delimiter.encode(), batch_bytes, check_cancelled)
    if found is None:
        return None
    quoted = await asyncio.to_thread(_delimiters_in_values, table, delimiter)
    expected = (len(table.columns) - 1) * len(table) + quoted
    return table if found - skipped.count(delimiter) == expected else None


def _delimiters_in_values(table: pl.DataFrame | Records, delimiter: str) -> int:
    count = pl.sum_horizontal(
        pl.col(name).str.count_matches(delimiter, literal=True).sum() for name in table.columns
    )
    return int(table.lazy().select(count).collect(engine=query_engine(table)).item() or 0)


async def _layout(
    path: Path,
    parser: CsvParser,
    encoding: str,
    batch_bytes: int,
    check_cancelled: Callable[[], None],
) -> str | None:
    """Decide the parser's layout from the file's head; the text before the records.

    ``None`` when the file is not for the direct read: a problem in its head (the batched
    reader reports it with the same words), a head shorter than the sniffing sample (it
    might not sniff like the batched reader's first batch; such a file is small anyway),
    one column (no delimiter to count, so nothing proves a row whole), a delimiter that
    is not one byte, or a header that does not end a line.
    """
    head = text_batches(
        path,
        encoding=encoding,
        batch_chars=min(batch_bytes, _HEAD_CHARS),
        what="CSV",
        quote='"',
        check_cancelled=check_cancelled,
    )
    try:
        first = await anext(head, None)
        if first is None or len(first.text) <= SNIFF_CHARS:
            return None
        records = parser.start(first)
    except ReadError:
        return None
    finally:
        await head.aclose()
    layout = parser.layout
    if layout is None or len(layout.columns) < 2 or not layout.delimiter.isascii():
        return None
    skipped = first.text[: len(first.text) - len(records.text)]
    return skipped if not skipped or skipped.endswith("\n") else None


def _parse(
    path: Path, options: dict[str, Any], skip_lines: int, n_rows: int | None
) -> Callable[[], pl.DataFrame | None]:
    def parse() -> pl.DataFrame | None:
        try:
            return pl.read_csv(path, skip_lines=skip_lines, n_rows=n_rows, **options)
        except pl.exceptions.PolarsError:
            return None  # malformed somewhere: the batched reader says where

    return parse


def _sink(
    path: Path, options: dict[str, Any], skip_lines: int, folder: Path, n_rows: int | None
) -> Callable[[], Records | None]:
    def sink() -> Records | None:
        writer = RecordsWriter(folder)
        try:
            writer.sink(pl.scan_csv(path, skip_lines=skip_lines, n_rows=n_rows, **options))
        except pl.exceptions.PolarsError:
            writer.discard()
            return None  # malformed somewhere: the batched reader says where
        return writer.finish()

    return sink


async def _scan(
    path: Path, delimiter: bytes | None, scan_bytes: int, check_cancelled: Callable[[], None]
) -> int | None:
    """How many ``delimiter`` bytes the file holds (0 without one); ``None`` on a NUL."""
    size = max(scan_bytes, _MIN_SCAN_BYTES)
    count = 0
    async with aiofiles.open(path, "rb") as handle:
        while True:
            check_cancelled()
            chunk = await handle.read(size)
            if not chunk:
                return count
            if b"\x00" in chunk:
                return None
            if delimiter is not None:
                count += chunk.count(delimiter)
