"""Turning decoded objects (JSON, API bodies, inline input, SQL rows) into string columns.

Every value becomes a string, as the revenue pipeline specifies ("JSON values converted
with ``str()`` except null"), so that no source type guesses types for the processor.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
import polars as pl

from actorflow.contracts import listing, quote


class RecordShapeError(ValueError):
    """A record that is not an object, or records that cannot be found where expected."""


_PLAIN = frozenset({int, float, bool, decimal.Decimal})


def to_text(value: Any) -> str | None:
    """The string form of one value: ``str()`` for scalars, JSON for nested data."""
    if value is None or type(value) is str:
        return value
    if type(value) in _PLAIN:
        return str(value)  # the common case, before the (slow) abstract type checks
    if isinstance(value, (Mapping, list, tuple)):
        return msgspec.json.encode(value, enc_hook=str).decode()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return _bytes_text(value)
    return str(value)


def _bytes_text(value: bytes) -> str:
    """UTF-8 text as text; any other bytes (a BLOB) as hex."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.hex()


@dataclass(slots=True)
class FieldStats:
    """Which fields the records of one source had, to report inconsistent field sets.

    Attributes:
        records: records seen.
        present: for each field, the records that had it (in first-seen order).
        sizes: how many records had each number of fields.
    """

    records: int = 0
    present: Counter[str] = field(default_factory=Counter)
    sizes: Counter[int] = field(default_factory=Counter)

    def add(self, other: FieldStats) -> None:
        self.records += other.records
        self.present.update(other.present)
        self.sizes.update(other.sizes)

    def incomplete(self) -> int:
        """Records lacking at least one field that another record of the source had."""
        width = len(self.present)
        return sum(count for size, count in self.sizes.items() if size < width)

    def missing(self) -> dict[str, int]:
        """For each field some records lack: how many lack it."""
        return {
            name: self.records - seen for name, seen in self.present.items() if seen < self.records
        }


def frame_from_objects(
    objects: Iterable[Any], *, label: str = "record[{index}]", start: int = 0
) -> tuple[pl.DataFrame, FieldStats]:
    """Build an all-string frame from objects; missing fields become null.

    Args:
        objects: the records.
        label: how a record is named in errors, a format with ``{index}``
            (``"data[{index}]"``).
        start: the index of the first object, for error messages.

    Raises:
        RecordShapeError: an item is not an object, naming it with ``label``.
    """
    items = objects if isinstance(objects, list) else list(objects)
    for index, item in enumerate(items, start):
        # isinstance(dict) first: the abstract Mapping check costs ~10x more per record.
        if not isinstance(item, dict) and not isinstance(item, Mapping):
            raise RecordShapeError(
                f"{label.format(index=index)} is {_kind(item)}, not an object (a record must "
                "be an object of field names to values)"
            )
    # Records of one source mostly share one key sequence: count the sequences (in C),
    # then derive per-field counts from the few distinct ones.
    stats = FieldStats(records=len(items))
    for keys, count in Counter(map(tuple, items)).items():
        stats.sizes[len(keys)] += count
        for key in keys:
            stats.present[key] += count
    # Column by column: no dict per record, and the common types skip to_text's checks
    # (1.8x faster than building rows).
    plain = _PLAIN
    columns = {
        key: [
            v if v is None or v.__class__ is str else str(v) if v.__class__ in plain else to_text(v)
            for v in [item.get(key) for item in items]
        ]
        for key in stats.present
    }
    if not columns:  # records without a field ({}) still count as rows
        return pl.DataFrame([{}] * len(items), schema={}, orient="row"), stats
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String)), stats


#: Records turned into one frame at a time, bounding the intermediate row dicts.
OBJECT_BATCH = 50_000


class ObjectFrames:
    """Decoded records turned into frames ``OBJECT_BATCH`` at a time, each handed to
    ``keep`` in order; :attr:`stats` counts the fields of all of them.

    :meth:`add`, :meth:`extend` and :meth:`flush` raise :class:`RecordShapeError` for a
    record that is not an object, naming it with ``label`` and its index.
    """

    def __init__(self, keep: Callable[[pl.DataFrame], None], *, label: str) -> None:
        self._keep = keep
        self._label = label
        self._items: list[Any] = []
        self.stats = FieldStats()

    def add(self, item: Any) -> None:
        self._items.append(item)
        if len(self._items) >= OBJECT_BATCH:
            self.flush()

    def extend(self, items: Iterable[Any]) -> None:
        self._items.extend(items)
        if len(self._items) >= OBJECT_BATCH:
            self.flush()

    def flush(self) -> None:
        """Turn the records held into a frame (at the end: the last, shorter batch)."""
        if not self._items:
            return
        frame, stats = frame_from_objects(self._items, label=self._label, start=self.stats.records)
        self._items = []
        self.stats.add(stats)
        self._keep(frame)


def frame_from_rows(columns: list[str], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Build an all-string frame from row tuples (SQL results)."""
    values: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data = {
        name: [v if v is None or type(v) is str else to_text(v) for v in column]
        for name, column in zip(columns, values, strict=True)
    }
    return pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))


def find_records(document: Any, path: str | None, *, what: str) -> tuple[list[Any], str]:
    """Locate the list of records in a decoded JSON document.

    Args:
        document: the decoded document.
        path: a dotted path (``data``, ``result.items``); ``None`` takes the document if
            it is a list, else its ``records`` list, else its only list.
        what: how to name the document in errors (``"the file"``, ``"page 2"``).

    Returns:
        The records and the path they were found at (for naming records in errors).

    Raises:
        RecordShapeError: naming the missing key or the unexpected type.
    """
    if path:
        value = document
        walked: list[str] = []
        for part in path.split("."):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                at = ".".join(walked) or "the top level"
                keys = f" (its keys: {_keys(value)})" if isinstance(value, Mapping) else ""
                raise RecordShapeError(
                    f"records_path {path!r}: {what} has no {part!r} at {at}{keys}"
                )
            walked.append(part)
        if not isinstance(value, list):
            raise RecordShapeError(
                f"records_path {path!r}: {what} holds {_kind(value)} there, not a list of records"
            )
        return value, path
    if isinstance(document, list):
        return document, ""
    if isinstance(document, Mapping):
        if isinstance(document.get("records"), list):
            return document["records"], "records"
        lists = [key for key, value in document.items() if isinstance(value, list)]
        if len(lists) == 1:
            return document[lists[0]], lists[0]
        raise RecordShapeError(
            f"{what} is an object with keys {_keys(document)}; expected a list of records, or "
            "an object with one list of records: set records_path to say where they are"
        )
    raise RecordShapeError(f"{what} is {_kind(document)}, not a list of records")


def record_label(path: str) -> str:
    """The error label of records found at ``path`` (``data[{index}]``)."""
    return f"{path or 'record'}[{{index}}]"


def _keys(value: Mapping[str, Any]) -> str:
    return listing(quote(str(k)) for k in value) or "none"


_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (type(None), "null"),
    (bool, "a boolean"),
    ((int, float, decimal.Decimal), "a number"),
    (str, "a string"),
    ((list, tuple), "a list"),
    (Mapping, "an object"),
)


def _kind(value: Any) -> str:
    """How JSON would call ``value``'s type, for error messages."""
    for types, kind in _KINDS:
        if isinstance(value, types):
            return kind
    return f"a {type(value).__name__}"
