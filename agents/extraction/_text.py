"""Reading a text file in batches of whole lines (or whole CSV records), with aiofiles.

Memory stays bounded by the batch size whatever the file's size. Decoding happens here,
once, so every format gets the same checks: binary files, byte-order marks, bytes that
are not valid in the encoding, NUL characters, all reported with the line they are on.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiofiles

from ._result import ReadError

#: Bytes looked at to tell a binary file from text.
_SNIFF_BYTES = 8192
#: A record may outgrow the batch size (one huge line), but not this.
_MAX_RECORD_CHARS = 64 * 1024 * 1024

_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True, slots=True)
class TextBatch:
    """Whole lines of a file.

    Attributes:
        text: the lines; every batch but the file's last ends with a newline.
        first_line: the 1-based line number of the batch's first line.
    """

    text: str
    first_line: int


async def text_batches(
    path: Path,
    *,
    encoding: str,
    batch_chars: int,
    what: str,
    quote: str | None = None,
    whole_lines: bool = True,
    check_cancelled: Callable[[], None] = lambda: None,
) -> AsyncGenerator[TextBatch, None]:
    """Yield the file's text in batches that end at a line break.

    Args:
        path: the file.
        encoding: its encoding; ``utf-8`` accepts a BOM too.
        batch_chars: the size a batch is cut at (it may be larger by one line).
        what: the format, for messages (``"CSV"``).
        quote: for CSV, the quote character: a line break inside quotes is not a cut.
        whole_lines: ``False`` yields the text as it is read, cut anywhere (a JSON
            document streamed to a parser, which may well be one long line).
        check_cancelled: called before each read; raises to stop.

    Raises:
        ReadError: binary content, undecodable bytes or an endless record, with its line.
    """
    codec = codecs.lookup(encoding).name
    decoder = codecs.getincrementaldecoder("utf-8-sig" if codec == "utf-8" else codec)("strict")
    pending = ""
    line = 1
    first = True
    limit = max(4 * batch_chars, _MAX_RECORD_CHARS)
    async with aiofiles.open(path, "rb") as handle:
        while True:
            check_cancelled()
            chunk = await handle.read(batch_chars)
            final = not chunk
            if first:
                _check_not_binary(chunk, codec, what)
                first = False
            try:
                text = decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                raise _undecodable(exc, codec, line + pending.count("\n")) from None
            nul = text.find("\x00")
            if nul >= 0:
                at = line + pending.count("\n") + text.count("\n", 0, nul)
                raise ReadError(
                    f"line {at}: a NUL character; this looks like a binary file, not {what} text"
                )
            if not whole_lines:
                if text:
                    yield TextBatch(text, line)
                    line += text.count("\n")
                if final:
                    return
                continue
            pending = pending + text if pending else text
            if final:
                if pending:
                    yield TextBatch(pending, line)
                return
            if len(pending) < batch_chars:
                continue
            cut = _safe_cut(pending, quote)
            if cut == 0:
                if len(pending) > limit:
                    raise ReadError(_endless(line, limit, quote))
                continue
            piece, pending = pending[:cut], pending[cut:]
            yield TextBatch(piece, line)
            line += piece.count("\n")


def _safe_cut(text: str, quote: str | None) -> int:
    """The end of the last whole line (or whole CSV record); 0 if there is none."""
    cut = text.rfind("\n") + 1
    if quote is None or not cut:
        return cut
    # A line break ends a record only after an even number of quotes (RFC 4180: an
    # escaped quote is doubled, which keeps the parity). Walk back to such a break.
    odd = text.count(quote, 0, cut) & 1
    while odd and cut:
        previous = text.rfind("\n", 0, cut - 1) + 1
        odd ^= text.count(quote, previous, cut) & 1
        cut = previous
    return cut


def _check_not_binary(head: bytes, codec: str, what: str) -> None:
    if codec == "utf-8":
        for bom, wide in _WIDE_BOMS:
            if head.startswith(bom):
                raise ReadError(
                    f"the file starts with a {wide.upper()} byte-order mark; "
                    f'set encoding to "{wide}" to read it'
                )
    if codec.startswith(("utf-16", "utf-32")):
        return  # NUL bytes are normal there
    nul = head.find(b"\x00", 0, _SNIFF_BYTES)
    if nul >= 0:
        line = head.count(b"\n", 0, nul) + 1
        raise ReadError(
            f"this looks like a binary file, not {what} text (a NUL byte at offset {nul}, "
            f"line {line})"
        )


def _undecodable(exc: UnicodeDecodeError, codec: str, line: int) -> ReadError:
    before = exc.object[: exc.start].decode(codec, errors="replace")
    line += before.count("\n")
    column = len(before) - (before.rfind("\n") + 1) + 1
    bad = exc.object[exc.start : min(exc.end, exc.start + 4)]
    what = f"byte {bad.hex()} is" if len(bad) == 1 else f"bytes {bad.hex(' ')} are"
    name = "UTF-8" if codec == "utf-8" else codec
    return ReadError(
        f"line {line}, column {column}: {what} not valid {name} ({exc.reason}); "
        'if the file uses another encoding, set encoding (e.g. "latin-1" or "cp1252")'
    )


def _endless(line: int, limit: int, quote: str | None) -> str:
    size = f"{limit // (1024 * 1024)} MiB"
    if quote is not None:
        return f"line {line}: a record runs on for more than {size}; is a {quote} quote left open?"
    return f"line {line} is longer than {size}"
