"""The ``file`` source: CSV, JSON, JSON Lines and text files, read with aiofiles."""

from __future__ import annotations

import asyncio
import contextlib
import stat
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiofiles.os
import polars as pl

from actorflow.contracts import Records, listing, spill_root

from ._batches import Batches
from ._csv import CsvParser
from ._csv_direct import read_csv_direct
from ._json import decode_json
from ._json_stream import stream_records
from ._limits import Meter
from ._result import ReadError, SourceData
from ._sources import FileFormat, FileSource
from ._text import TextBatch, text_batches
from ._values import (
    OBJECT_BATCH,
    FieldStats,
    ObjectFrames,
    RecordShapeError,
    find_records,
    frame_from_objects,
    record_label,
)

_FORMATS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
}


async def read_file(
    config: FileSource,
    *,
    check_cancelled: Callable[[], None] = lambda: None,
    spill_over_bytes: int | None = None,
    spill_dir: Path | None = None,
    meter: Meter | None = None,
) -> SourceData:
    """Read a file source.

    A file bigger than ``spill_over_bytes`` is read to disk, a batch at a time, instead
    of into memory: its records come as ``Records`` on disk, in a folder made under
    ``spill_dir`` (default: :func:`spill_root`). A JSON document bigger than its
    ``batch_bytes`` is parsed as a stream (see ``_json_stream``).

    Raises:
        ReadError: the file is missing, unreadable or malformed (naming the line).
        LimitReached: the file is bigger than the ``meter``'s bytes (it is not read
            then), or has more records than it allows (reading stops there).
    """
    meter = meter if meter is not None else Meter()
    path = Path(config.path)
    fmt = config.format or _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ReadError(
            f"cannot tell the format of {path.name!r} from its extension; "
            "set format to csv, json, jsonl or text"
        )
    try:
        info = await aiofiles.os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise ReadError("is a directory, not a file")
        meter.check_size(info.st_size, "the file")
        over = spill_over_bytes is not None and info.st_size > spill_over_bytes
        spill = (spill_dir or spill_root()) if over else None
        data = await _READERS[fmt](path, config, _Reading(check_cancelled, spill, meter))
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"
        raise ReadError(f"file not found{where}") from None
    except PermissionError as exc:
        raise ReadError(f"permission denied: {exc.strerror}") from None
    except OSError as exc:
        raise ReadError(f"cannot read the file: {exc.strerror or exc}", retryable=True) from None
    data.info = {
        "path": str(path),
        "format": fmt,
        "size_bytes": info.st_size,
        "encoding": config.encoding,
        **data.info,
    }
    return data


@dataclass(frozen=True, slots=True)
class _Reading:
    """How one file is read: the cancellation check, where it spills, its limits."""

    check: Callable[[], None]
    spill: Path | None
    meter: Meter

    def batches(self) -> Batches:
        """Where the file's batches go (counted against its limits)."""
        return Batches(self.spill, meter=self.meter)


def _batches(
    path: Path,
    config: FileSource,
    what: str,
    check: Callable[[], None],
    quote: str | None = None,
    *,
    whole_lines: bool = True,
) -> AsyncGenerator[TextBatch, None]:
    return text_batches(
        path,
        encoding=config.encoding,
        batch_chars=config.batch_bytes,
        what=what,
        quote=quote,
        whole_lines=whole_lines,
        check_cancelled=check,
    )


def _csv_parser(path: Path, config: FileSource) -> CsvParser:
    return CsvParser(
        delimiter=config.delimiter,
        has_header=config.has_header,
        default_delimiter="\t" if path.suffix.lower() == ".tsv" else ",",
    )


async def _read_csv(path: Path, config: FileSource, reading: _Reading) -> SourceData:
    # A big well-formed file in one polars call; anything else (or anything the direct
    # read cannot prove right) batch by batch, which names the line of every problem.
    parser = _csv_parser(path, config)
    meter = reading.meter
    frame = await read_csv_direct(
        path,
        parser,
        encoding=config.encoding,
        batch_bytes=config.batch_bytes,
        check_cancelled=reading.check,
        spill=reading.spill,
        max_rows=meter.rows_left(),
    )
    if frame is not None:
        meter.add_rows(len(frame))
    else:
        parser = _csv_parser(path, config)
        frame = await _read_csv_batches(
            path, config, parser, reading.check, reading.spill, meter=meter
        )
    result = SourceData(frame)
    if parser.layout is not None:
        result.info = {
            "delimiter": parser.layout.delimiter,
            "has_header": parser.layout.has_header,
        }
        if parser.layout.renamed:
            result.warnings.append(
                {
                    "kind": "renamed_columns",
                    "message": "header names that were empty, padded or repeated were "
                    "changed: " + listing(parser.layout.renamed),
                    "count": len(parser.layout.renamed),
                    "fields": {},
                }
            )
    return result


async def _read_csv_batches(
    path: Path,
    config: FileSource,
    parser: CsvParser,
    check: Callable[[], None],
    spill: Path | None,
    *,
    meter: Meter | None = None,
) -> pl.DataFrame | Records:
    parsing: asyncio.Future[pl.DataFrame] | None = None
    with Batches(spill, meter=meter) as frames:
        try:
            async for batch in _batches(path, config, "CSV", check, quote='"'):
                # A batch is parsed in a thread (polars releases the GIL) while the next
                # one is read; batches are still parsed in order, one at a time.
                if parsing is not None:
                    await asyncio.to_thread(frames.add, await parsing)
                parsing = asyncio.ensure_future(asyncio.to_thread(parser.parse, batch))
            if parsing is not None:
                await asyncio.to_thread(frames.add, await parsing)
        finally:
            if parsing is not None and not parsing.done():
                parsing.cancel()
        return frames.finish(parser.empty())


async def _read_json(path: Path, config: FileSource, reading: _Reading) -> SourceData:
    # The whole parse is faster than the stream and its errors come from msgspec, but
    # it holds the document as Python objects: only small documents get it.
    check = reading.check
    big = (await aiofiles.os.stat(path)).st_size > config.batch_bytes
    if big:
        with reading.batches() as frames:
            chunks = _batches(path, config, "JSON", check, whole_lines=False)
            async with contextlib.aclosing(chunks):  # the stream may stop before the end
                stats = await stream_records(chunks, config.records_path, frames)
            if stats is not None:
                return SourceData(frames.finish(pl.DataFrame(), how="diagonal"), fields=stats)
            frames.discard()
    pieces = [batch.text async for batch in _batches(path, config, "JSON", check)]
    text = "".join(pieces)
    del pieces
    document = await asyncio.to_thread(decode_json, text)
    del text
    try:
        items, found_at = find_records(document, config.records_path, what="the file")
    except RecordShapeError as exc:
        raise ReadError(str(exc)) from None
    data = await asyncio.to_thread(
        _objects_to_frame, items, record_label(found_at), check, reading.meter
    )
    if big and items and found_at and "." not in found_at and not config.records_path:
        # Found by elimination, which a stream cannot do: say how to let it stream.
        data.warnings.append(
            {
                "kind": "parsed_whole",
                "message": f"the records were found under {found_at!r} only by parsing the "
                f"whole document in memory; set records_path to {found_at!r} to read it as "
                "a stream",
                "count": len(items),
                "fields": {},
            }
        )
    return data


def _objects_to_frame(
    items: list[Any], label: str, check: Callable[[], None], meter: Meter
) -> SourceData:
    with Batches(None, meter=meter) as frames:
        objects = ObjectFrames(frames.add, label=label)
        try:
            for start in range(0, len(items), OBJECT_BATCH):
                check()
                objects.extend(items[start : start + OBJECT_BATCH])
            objects.flush()
        except RecordShapeError as exc:
            raise ReadError(str(exc)) from None
        return SourceData(frames.finish(pl.DataFrame(), how="diagonal"), fields=objects.stats)


async def _read_jsonl(path: Path, config: FileSource, reading: _Reading) -> SourceData:
    stats = FieldStats()
    with reading.batches() as frames:
        async for batch in _batches(path, config, "JSON Lines", reading.check):
            frame, part = await asyncio.to_thread(_parse_jsonl, batch)
            await asyncio.to_thread(frames.add, frame)
            stats.add(part)
        return SourceData(frames.finish(pl.DataFrame(), how="diagonal"), fields=stats)


def _parse_jsonl(batch: TextBatch) -> tuple[pl.DataFrame, FieldStats]:
    numbered = [
        (batch.first_line + offset, line)
        for offset, line in enumerate(batch.text.split("\n"))
        if line.strip()
    ]
    items: Any = None
    # One decode of the whole batch as an array is much faster than one per line; the
    # per-line pass below runs only to say which line is bad.
    with contextlib.suppress(ReadError):
        items = decode_json("[" + ",".join(line for _, line in numbered) + "]")
    if not isinstance(items, list) or len(items) != len(numbered):
        items = []
        for number, line in numbered:
            try:
                items.append(decode_json(line))
            except ReadError as exc:
                # The line was decoded alone, so the error says "line 1": put it back.
                raise ReadError(f"line {number}{str(exc).removeprefix('line 1')}") from None
    for (number, _), item in zip(numbered, items, strict=True):
        if not isinstance(item, dict):
            kind = "a list" if isinstance(item, list) else f"a {type(item).__name__}"
            raise ReadError(f"line {number} is {kind}, not an object (each line must be a record)")
    return frame_from_objects(items)


async def _read_text(path: Path, config: FileSource, reading: _Reading) -> SourceData:
    with reading.batches() as frames:
        async for batch in _batches(path, config, "text", reading.check):
            lines = pl.Series("text", [batch.text]).str.split("\n").explode()
            if batch.text.endswith("\n"):
                lines = lines.slice(0, len(lines) - 1)
            frame = pl.DataFrame(
                {
                    "line": pl.int_range(
                        batch.first_line, batch.first_line + len(lines), eager=True
                    ).cast(pl.String),
                    "text": lines.str.strip_chars_end("\r"),
                }
            )
            text = frame.filter(pl.col("text").str.strip_chars() != "")
            await asyncio.to_thread(frames.add, text)
        empty = pl.DataFrame(schema={"line": pl.String, "text": pl.String})
        return SourceData(frames.finish(empty))


_READERS: dict[FileFormat, Callable[[Path, FileSource, _Reading], Awaitable[SourceData]]] = {
    "csv": _read_csv,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "text": _read_text,
}
