"""Parsing CSV batches into all-string frames, with errors that name the line.

polars parses (fast, and ``infer_schema=False`` semantics: every value a string, an empty
field null, a quoted empty field ``""``). polars silently pads a short row with nulls, and
a short row is how a truncated file shows, so every batch is also checked, from the
cheapest proof to the most detailed:

1. the whole batch: the delimiters outside quotes must number (columns - 1) per row;
2. line by line (vectorized): which line has the wrong number of fields;
3. Python's ``csv`` module, for quoted line breaks or text polars refuses: it knows the
   line of every record.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ._result import ReadError
from ._text import TextBatch

_QUOTE = '"'
SNIFF_CHARS = 16 * 1024
_DELIMITERS = ",;\t|"
# A value, not a name: a number (maybe with a currency sign, separators, a percent) or
# a date. A first row holding one is data, not a header.
_VALUE = re.compile(
    r"^\s*(?:[-+]?[$€£]?\s*[-+]?[\d,]*\.?\d+%?|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*)\s*$"
)


@dataclass(slots=True)
class CsvLayout:
    """How the file is laid out, decided from its first lines."""

    delimiter: str
    has_header: bool
    columns: list[str]
    renamed: list[str] = field(default_factory=list)


class CsvParser:
    """Turns consecutive batches of one CSV file into frames.

    Args:
        delimiter: the delimiter, or ``None`` to sniff it.
        has_header: whether the first record names the columns, or ``None`` to sniff.
        default_delimiter: used when sniffing finds nothing (``\\t`` for ``.tsv``).
    """

    def __init__(
        self, *, delimiter: str | None, has_header: bool | None, default_delimiter: str = ","
    ) -> None:
        self._delimiter = delimiter
        self._has_header = has_header
        self._default_delimiter = default_delimiter
        self.layout: CsvLayout | None = None

    def empty(self) -> pl.DataFrame:
        """The frame of a file without records."""
        columns = self.layout.columns if self.layout else []
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))

    def parse(self, batch: TextBatch) -> pl.DataFrame:
        """Parse one batch (batches must come in file order).

        Raises:
            ReadError: a malformed record, naming its line.
        """
        if self.layout is None:
            batch = self.start(batch)
        text, first_line = batch.text, batch.first_line
        if self.layout is None or not text:
            return self.empty()
        frame = self._parse_whole(text)
        if frame is None:
            frame = self._parse_lines(text, first_line)
        return frame if frame is not None else self._parse_slow(text, first_line)

    def start(self, batch: TextBatch) -> TextBatch:
        """Decide the layout from the file's first batch (sniffing what is not given).

        Returns:
            The batch without its leading blank lines and its header: the first records.
            The layout stays ``None`` when the batch holds nothing but blank lines.
        """
        text, first_line = _skip_blank_lines(batch.text, batch.first_line)
        if text:
            text, first_line = self._read_layout(text, first_line)
        return TextBatch(text, first_line)

    def _parse_whole(self, text: str) -> pl.DataFrame | None:
        """Parse with polars and prove no row was short; ``None`` when that fails.

        polars refuses a row with too many fields, so if the delimiters outside quotes
        add up to exactly (columns - 1) per row, no row had too few either. Blank lines
        (which polars turns into rows of nulls) are left to the line-by-line path.
        """
        assert self.layout is not None
        if text.startswith(("\n", "\r\n")) or "\n\n" in text or "\n\r\n" in text:
            return None
        frame = self._polars(text)
        if frame is None:
            return None
        delimiter = self.layout.delimiter
        # Split on quotes, every odd piece is inside quotes (a doubled quote leaves an
        # empty piece, so it keeps the count right).
        inside = "".join(text.split(_QUOTE)[1::2]).count(delimiter) if _QUOTE in text else 0
        expected = (len(self.layout.columns) - 1) * frame.height
        return frame if text.count(delimiter) - inside == expected else None

    def _polars(self, text: str) -> pl.DataFrame | None:
        assert self.layout is not None
        try:
            return pl.read_csv(text.encode("utf-8"), **polars_options(self.layout))
        except pl.exceptions.PolarsError:
            return None  # the slower paths find the line, or parse what polars refused

    def _read_layout(self, text: str, first_line: int) -> tuple[str, int]:
        sample = text[:SNIFF_CHARS]
        if len(text) > SNIFF_CHARS and "\n" in sample:
            sample = sample[: sample.rfind("\n") + 1]
        delimiter = self._delimiter or _sniff_delimiter(sample, self._default_delimiter)
        # The reader is lazy: only the first record is parsed, however long the batch.
        rows = _rows(text, delimiter, first_line, limit=1)
        if not rows:
            raise ReadError(f"line {first_line}: no CSV record could be read")
        first_record, start = rows[0]
        # The header's line breaks: one, plus any inside its quoted names.
        lines_used = start - first_line + 1 + sum(name.count("\n") for name in first_record)
        has_header = self._has_header
        if has_header is None:
            has_header = _looks_like_header(first_record)
        if has_header:
            columns, renamed = _column_names(first_record)
            cut = _nth_newline(text, lines_used)
            text, first_line = text[cut:], first_line + lines_used
        else:
            columns, renamed = [f"column_{i}" for i in range(1, len(first_record) + 1)], []
        self.layout = CsvLayout(delimiter, has_header, columns, renamed)
        return text, first_line

    def _parse_lines(self, text: str, first_line: int) -> pl.DataFrame | None:
        """Check each line's fields, then parse with polars; ``None`` if a record spans
        lines or polars refuses the text.

        Raises:
            ReadError: a line with the wrong number of fields.
        """
        assert self.layout is not None
        lines = pl.Series("line", [text]).str.split("\n").explode()
        if text.endswith("\n"):
            lines = lines.slice(0, len(lines) - 1)
        quoted = _QUOTE in text
        if quoted and (lines.str.count_matches(_QUOTE, literal=True) % 2 == 1).any():
            return None  # a quoted field spans lines
        bare = lines.str.replace_all(r'"[^"]*"', "") if quoted else lines
        fields = bare.str.count_matches(self.layout.delimiter, literal=True) + 1
        blank = lines.str.strip_chars_end("\r") == ""
        bad = (fields != len(self.layout.columns)) & ~blank
        if bad.any():
            index = int(bad.arg_true()[0])
            last = index == len(lines) - 1 and not text.endswith("\n")
            raise ReadError(self._count_message(first_line + index, int(fields[index]), last))
        if blank.any():
            text = lines.filter(~blank).str.join("\n").item() + "\n"
            if text == "\n":
                return self.empty()
        frame = self._polars(text)
        if frame is None or frame.height != int((~blank).sum()):
            return None
        return frame

    def _parse_slow(self, text: str, first_line: int) -> pl.DataFrame:
        assert self.layout is not None
        width = len(self.layout.columns)
        rows = _rows(text, self.layout.delimiter, first_line, limit=None)
        for index, (record, line) in enumerate(rows):
            if len(record) != width:
                last = index == len(rows) - 1 and not text.endswith("\n")
                raise ReadError(self._count_message(line, len(record), last))
        # Python's csv cannot tell an empty field from a quoted empty one: both are null.
        columns = zip(*(record for record, _ in rows), strict=True) if rows else [()] * width
        data: dict[str, list[str | None]] = {
            name: [value or None for value in column]
            for name, column in zip(self.layout.columns, columns, strict=True)
        }
        return pl.DataFrame(data, schema=dict.fromkeys(self.layout.columns, pl.String))

    def _count_message(self, line: int, found: int, last: bool) -> str:
        assert self.layout is not None
        width = len(self.layout.columns)
        origin = "as in the header" if self.layout.has_header else "as in the first record"
        message = f"line {line}: expected {width} fields ({origin}), found {found}"
        if last and found < width:
            message += "; the file ends in the middle of this record (is it truncated?)"
        return message


def polars_options(layout: CsvLayout) -> dict[str, Any]:
    """How polars is asked to parse records of this layout (header already cut off)."""
    return {
        "has_header": False,
        "schema": dict.fromkeys(layout.columns, pl.String),
        "separator": layout.delimiter,
        "quote_char": _QUOTE,
    }


def _rows(
    text: str, delimiter: str, first_line: int, *, limit: int | None
) -> list[tuple[list[str], int]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    out: list[tuple[list[str], int]] = []
    consumed = 0
    try:
        for record in reader:
            start, consumed = first_line + consumed, reader.line_num
            if record:
                out.append((record, start))
                if limit is not None and len(out) >= limit:
                    break
    except csv.Error as exc:
        start = first_line + consumed
        if "unexpected end of data" in str(exc):
            raise ReadError(
                f"line {start}: a quoted field is not closed before the end of the file "
                "(is the file truncated, or a quote missing?)"
            ) from None
        raise ReadError(f"line {start}: malformed CSV: {exc}") from None
    return out


def _sniff_delimiter(sample: str, default: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return default  # one column, or too little text to tell


def _looks_like_header(record: list[str]) -> bool:
    """A header names each column once, with no blanks, numbers or dates."""
    if any(not value.strip() for value in record):
        return False
    if len(set(record)) != len(record):
        return False
    return not any(_VALUE.match(value) for value in record)


def _column_names(record: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique and non-empty; also the ones that had to change."""
    names: list[str] = []
    renamed: list[str] = []
    taken: set[str] = set()
    for position, raw in enumerate(record, 1):
        name = raw.strip() or f"column_{position}"
        candidate, suffix = name, 2
        while candidate in taken:
            candidate = f"{name}_{suffix}"
            suffix += 1
        if candidate != raw:
            renamed.append(f"{raw!r} -> {candidate!r}")
        taken.add(candidate)
        names.append(candidate)
    return names, renamed


def _skip_blank_lines(text: str, first_line: int) -> tuple[str, int]:
    stripped = text.lstrip("\r\n")
    skipped = text[: len(text) - len(stripped)].count("\n")
    return stripped, first_line + skipped


def _nth_newline(text: str, count: int) -> int:
    """The position just after the ``count``-th line break (the end of the text if fewer)."""
    position = 0
    for _ in range(count):
        found = text.find("\n", position)
        if found < 0:
            return len(text)
        position = found + 1
    return position
