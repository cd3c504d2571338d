"""One page of an ``api`` source: its records and its next link, from the body's bytes.

A body up to ``STREAM_BYTES`` is decoded whole (fast, and its errors come from msgspec).
A bigger one is parsed as a stream, as a big JSON file is (see ``_json_stream``): its
records become frames 50,000 at a time, each counted against the source's limits before
the next, so a body of a million small records is never a million Python objects at
once (measured: a 60 MB body decoded whole peaked at +444 MiB before its records could be
counted). Its next-page link is then found by a second streamed pass. Records a stream
cannot find (by elimination: the only list of an object) need the whole decode, as for
files.
"""

from __future__ import annotations

import asyncio
import codecs
import io
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import ijson
import polars as pl

from ._batches import Batches
from ._json import decode_json
from ._json_stream import stream_records
from ._limits import LimitReached, Meter
from ._result import ReadError
from ._sources import ApiSource
from ._text import TextBatch
from ._values import FieldStats, RecordShapeError, find_records, frame_from_objects, record_label

#: Bodies bigger than this are parsed as a stream (the JSON files' default batch_bytes).
STREAM_BYTES = 8 * 1024 * 1024
#: Text handed to the stream at a time.
_PIECE_BYTES = 1024 * 1024


@dataclass(slots=True)
class Page:
    """What one page gave: its records, their fields, and the next page's link."""

    frame: pl.DataFrame
    stats: FieldStats
    next_link: str | None


async def read_page(body: bytes, config: ApiSource, meter: Meter, where: str) -> Page:
    """The records (and next link) of one page's body, counted against ``meter``.

    Raises:
        ReadError: the body is not JSON, or its records are not where expected, naming
            ``where`` (the request and page).
        LimitReached: its records passed the source's or the stage's limit.
    """
    if len(body) > STREAM_BYTES:
        page = await _streamed(body, config, meter, where)
        if page is not None:
            return page
    return _whole(body, config, meter, where)


def _whole(body: bytes, config: ApiSource, meter: Meter, where: str) -> Page:
    try:
        document = decode_json(body)
    except ReadError as exc:
        raise ReadError(f"{where}: the response body is not valid JSON: {exc}") from None
    try:
        items, found_at = find_records(document, config.records_path, what="the response body")
        _count(meter, len(items), where)  # before their frame is built
        frame, stats = frame_from_objects(items, label=record_label(found_at))
    except RecordShapeError as exc:
        raise ReadError(f"{where}: {exc}") from None
    link = next_link(document, config.next_path, where) if config.next_path else None
    return Page(frame, stats, link)


async def _streamed(body: bytes, config: ApiSource, meter: Meter, where: str) -> Page | None:
    with Batches(None, meter=meter) as frames:
        try:
            stats = await stream_records(_texts(body), config.records_path, frames)
        except LimitReached as exc:
            raise LimitReached(f"{where}: {exc}") from None
        except ReadError as exc:
            raise ReadError(f"{where}: {exc}") from None
        if stats is None:
            return None
        frame = frames.finish(pl.DataFrame(), how="diagonal")
    assert isinstance(frame, pl.DataFrame)  # no folder: never on disk
    link = None
    if config.next_path:
        path = config.next_path
        found = await asyncio.to_thread(_first_at, body, path)
        link = next_link({path: found}, path, where, flat=True) if found is not _ABSENT else None
    return Page(frame, stats, link)


async def _texts(body: bytes) -> AsyncIterator[TextBatch]:
    """The body's text, a piece at a time, with its line numbers."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    line = 1
    for start in range(0, len(body), _PIECE_BYTES):
        piece = body[start : start + _PIECE_BYTES]
        try:
            text = decoder.decode(piece, final=start + _PIECE_BYTES >= len(body))
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"the response body is not UTF-8 (byte {start + exc.start:,})"
            ) from None
        if text:
            yield TextBatch(text, line)
            line += text.count("\n")


_ABSENT = object()


def _first_at(body: bytes, path: str) -> Any:
    """The value at a dotted path of keys, from a streamed pass (``_ABSENT`` if none)."""
    for value in ijson.items(io.BytesIO(body), path, use_float=True):
        return value
    return _ABSENT


def next_link(body: Any, path: str, where: str, *, flat: bool = False) -> str | None:
    """The next page's link at ``path`` in the body (``flat``: ``body[path]``)."""
    value = body
    for part in [path] if flat else path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ReadError(f"{where}: next_path {path!r} holds a {type(value).__name__}, not a link")
    return value


def _count(meter: Meter, rows: int, where: str) -> None:
    try:
        meter.add_rows(rows)
    except LimitReached as exc:
        raise LimitReached(f"{where}: {exc}") from None
