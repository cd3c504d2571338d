"""Reading the records of a big JSON document as a stream, with ijson.

A JSON document parsed whole becomes Python objects several times its size on disk, so a
document bigger than its source's ``batch_bytes`` is streamed: ijson's C parser (yajl)
reads the text and hands over each record of the list as soon as it is complete, and
records become frames ``OBJECT_BATCH`` at a time. Numbers that are not integers come
as ``Decimal`` from their literal, exactly as from the whole parse.

ijson pulls its input (a file-like ``read``) from a worker thread; the text still comes
from the source's async batches, so every file gets the same decoding checks. Pulling
is about twice as fast as pushing chunks into ijson's coroutine interface (measured:
2M records, 4.6 s against 13 s), and the pull is its own back-pressure.

A stream has to know where the records are before it starts. It can when they are the
document itself (``[...]``), its ``records`` list (``{"records": [...]}``) or a
``records_path`` of keys; anything else (a path through a list index, records under some
other key found by elimination) is left to the whole parse, which the caller falls back
to when :func:`stream_records` finds nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import ijson

from ._batches import Batches
from ._result import ReadError
from ._text import TextBatch
from ._values import FieldStats, ObjectFrames, RecordShapeError, record_label

#: yajl's verbose errors show the text around the error so that its byte is at column 41.
_ERROR_COLUMN = 40
#: The most bytes ijson is handed at once: yajl runs fastest on pieces that fit a cache.
_PIECE_BYTES = 64 * 1024
#: UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xC0))


class _StoppedError(Exception):
    """The reading task was cancelled: the parser's thread stops at its next read."""


def _chars(data: bytes) -> int:
    """Characters that start in ``data`` (exact even where a piece splits one)."""
    return len(data.translate(None, _CONTINUATION))


class _Text:
    """The document as ijson reads it, pulled from the async batches on the event loop.

    It remembers where the last piece handed out starts (line, and characters of that
    line in earlier pieces), since yajl's errors are relative to that piece.
    """

    def __init__(
        self, first: TextBatch, rest: AsyncIterator[TextBatch], loop: asyncio.AbstractEventLoop
    ) -> None:
        self._pending = first.text.encode("utf-8")
        self._at = 0  # how much of _pending has been handed out
        self._rest = rest
        self._loop = loop
        self.stopped = False
        self.piece = b""
        self.piece_line = self._line = first.first_line
        self.piece_carried = self._carried = 0
        self.last_line = first.first_line  # the last line with text, for "ends early"

    def read(self, size: int) -> bytes:
        if self.stopped:
            raise _StoppedError
        if size <= 0:
            return b""
        while self._at >= len(self._pending):
            batch = asyncio.run_coroutine_threadsafe(self._next(), self._loop).result()
            if batch is None:
                self.piece = b""
                return b""
            self._pending, self._at = batch.text.encode("utf-8"), 0
        piece = self._pending[self._at : self._at + min(size, _PIECE_BYTES)]
        self._at += len(piece)
        self.piece, self.piece_line, self.piece_carried = piece, self._line, self._carried
        newline = piece.rfind(b"\n")
        self._line += piece.count(b"\n")
        self._carried = (
            self._carried + _chars(piece) if newline < 0 else _chars(piece[newline + 1 :])
        )
        if piece.strip():
            self.last_line = self.piece_line + piece.rstrip().count(b"\n")
        return piece

    async def _next(self) -> TextBatch | None:
        return await anext(self._rest, None)


def _parse(text: _Text, prefix: str, records: ObjectFrames) -> None:
    """Parse the whole document, keeping its records (blocking: the worker thread)."""
    try:
        for item in ijson.items(text, prefix, use_float=False, buf_size=_PIECE_BYTES):
            records.add(item)
        records.flush()
    except RecordShapeError as exc:
        raise ReadError(str(exc)) from None
    except ijson.JSONError as exc:
        message = _message(exc)
        if not text.piece:  # the end of the text: yajl's last check of the document
            if b"premature EOF" in message:
                raise ReadError(
                    f"line {text.last_line}: the JSON ends before the document is complete "
                    "(is it truncated?)"
                ) from None
            raise ReadError(f"line {text.last_line}: invalid JSON: {_reason(message)}") from None
        where = _describe(message, text.piece, text.piece_line, text.piece_carried)
        raise ReadError(where) from None


async def stream_records(
    chunks: AsyncIterator[TextBatch], records_path: str | None, frames: Batches
) -> FieldStats | None:
    """Stream the records of a JSON document into ``frames``.

    Args:
        chunks: the document's text, cut anywhere.
        records_path: where the records are, as for the whole parse.
        frames: where the records go, as frames.

    Returns:
        The records' field statistics; ``None`` if the stream found no records where it
        looked (the records may be elsewhere, or absent: the whole parse says which).

    Raises:
        ReadError: malformed JSON with its line and column, or a record that is not an
            object, named by its index.
    """
    async for first in chunks:
        start = first.text.lstrip()
        if start:
            break
    else:
        return None
    found = _prefix(records_path, start[0])
    if found is None:
        return None
    loop = asyncio.get_running_loop()
    text = _Text(first, chunks, loop)
    records = ObjectFrames(frames.add, label=record_label(found[1]))
    work = loop.run_in_executor(None, _parse, text, found[0], records)
    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        # The thread stops at its next read. Until it has, the batches it pulls from
        # must stay open, and the frames it writes must not be deleted under it.
        text.stopped = True
        await asyncio.wait([work])
        if not work.cancelled():
            work.exception()  # retrieved: it is the cancellation's doing
        raise
    return records.stats if records.stats.records else None


def _prefix(records_path: str | None, first: str) -> tuple[str, str] | None:
    """ijson's prefix for the records and the path that names them in errors."""
    if records_path:
        parts = records_path.split(".")
        # ijson names every list element "item", so an index (or a key called "item")
        # cannot be told apart in a prefix.
        if any(part.isdigit() or part == "item" for part in parts):
            return None
        return f"{records_path}.item", records_path
    if first == "[":
        return "item", ""
    if first == "{":
        return "records.item", "records"
    return None


def _message(exc: Exception) -> bytes:
    """yajl's message as it came: bytes when the text it shows is not valid UTF-8."""
    raw = exc.args[0] if exc.args else b""
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")


def _reason(message: bytes) -> str:
    first = message.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return first.removeprefix("parse error: ").removeprefix("lexical error: ").strip(" .")


def _describe(message: bytes, data: bytes, first_line: int, carried: int) -> str:
    """Place a yajl error in the file.

    Its verbose message shows the text around the error with the bad byte at a fixed
    column; finding that text in the piece gives the byte's offset. ``carried`` is the
    number of characters of the piece's first line that came in earlier pieces.
    """
    reason = _reason(message)
    lines = message.split(b"\n")
    shown = lines[1] if len(lines) > 1 else b""
    needle = shown.lstrip(b" ")
    padding = len(shown) - len(needle)
    pos = data.replace(b"\n", b" ").replace(b"\r", b" ").find(needle) if needle else -1
    if pos < 0:
        last = first_line + data.count(b"\n")
        where = f"line {first_line}" if last == first_line else f"lines {first_line}-{last}"
        return f"{where}: invalid JSON: {reason}"
    offset = min(max(pos + _ERROR_COLUMN - padding, 0), len(data))
    start = data.rfind(b"\n", 0, offset) + 1
    line = first_line + data.count(b"\n", 0, offset)
    column = _chars(data[start:offset]) + 1
    if start == 0:
        column += carried
    return f"line {line}, column {column}: invalid JSON: {reason}"
