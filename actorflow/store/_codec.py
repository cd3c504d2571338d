"""Stage outputs, inputs and specs as tagged JSON that round-trips exactly.

Plain JSON would turn ``Decimal("12.30")`` into a string and a tuple into a list, and a
resumed run would hand its stages different values from the ones first produced. So
every value that JSON cannot say is written as a one-key object naming its type
(``{"$decimal": "12.30"}``, ``{"$date": "2024-05-01"}``, ``{"$records": "<file>"}``), and
a mapping that happens to have a ``$`` key is wrapped in ``{"$map": ...}`` so it can
never be mistaken for a tag. Decoding yields what ``freeze`` would have made: FrozenMap
for objects, tuples for arrays, so the value is equal to the original.

Values that cannot be rebuilt without importing user code (msgspec Structs, enums) are
written as their plain data and flagged inexact; resume refuses to reuse them.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import msgspec

from actorflow.contracts import FrozenMap, Records

RecordsSink = Callable[[Records], str]
"""Stores one ``Records`` and returns the reference written in its place."""
RecordsSource = Callable[[str], Records]
"""Loads the ``Records`` behind a reference."""

_encoder = msgspec.json.Encoder()


class Encoded(NamedTuple):
    json: str
    #: False when some part was written as plain data and cannot be rebuilt exactly.
    exact: bool
    #: what could not be kept exactly, for the reason resume gives.
    inexact: tuple[str, ...] = ()


def encode_value(value: Any, *, records: RecordsSink) -> Encoded:
    """Tagged JSON of ``value``; each ``Records`` in it goes through ``records``."""
    inexact: list[str] = []
    data = _to_json(value, records, inexact, "value")
    return Encoded(_encoder.encode(data).decode(), not inexact, tuple(inexact))


def decode_value(text: str | bytes, *, records: RecordsSource) -> Any:
    """The value :func:`encode_value` wrote, frozen as the runtime would have it."""
    return _from_json(msgspec.json.decode(text), records)


def _to_json(value: Any, records: RecordsSink, inexact: list[str], where: str) -> Any:  # noqa: PLR0911, PLR0912 - one branch per type is the clearest dispatch
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, enum.Enum):  # before int: IntEnum is an int
        inexact.append(f"{where} is an enum ({type(value).__name__})")
        return _to_json(value.value, records, inexact, where)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, decimal.Decimal):
        # str() keeps the exponent, so "12.30" stays two places and NaN stays NaN.
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Records):
        return {"$records": records(value)}
    if isinstance(value, Mapping):
        out = {str(k): _to_json(v, records, inexact, f"{where}.{k}") for k, v in value.items()}
        return {"$map": out} if any(k.startswith("$") for k in out) else out
    if isinstance(value, (tuple, list)):
        return [_to_json(v, records, inexact, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        items = [_to_json(v, records, inexact, f"{where}{{}}") for v in value]
        return {"$set": items}
    if isinstance(value, msgspec.Struct):
        inexact.append(f"{where} is a {type(value).__name__} struct")
        return _to_json(msgspec.structs.asdict(value), records, inexact, where)
    inexact.append(f"{where} is a {type(value).__name__}")
    return repr(value)


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$decimal": decimal.Decimal,
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$timedelta": lambda p: dt.timedelta(days=p[0], seconds=p[1], microseconds=p[2]),
    "$uuid": uuid.UUID,
    "$bytes": base64.b64decode,
    "$float": float,
}


def _from_json(data: Any, records: RecordsSource) -> Any:  # noqa: PLR0911 - one per tag
    if isinstance(data, list):
        return tuple(_from_json(v, records) for v in data)
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        ((key, inner),) = data.items()
        if key in _TAGS:
            return _TAGS[key](inner)
        if key == "$records":
            return records(inner)
        if key == "$set":
            return frozenset(_from_json(v, records) for v in inner)
        if key == "$map":
            return FrozenMap({k: _from_json(v, records) for k, v in inner.items()})
    return FrozenMap({k: _from_json(v, records) for k, v in data.items()})


def describe(value: Any) -> str:
    """A short description of an output for lists and dashboards."""
    if isinstance(value, Records):
        return f"Records: {len(value)} rows x {len(value.columns)} columns"
    if isinstance(value, Mapping):
        keys = ", ".join(list(map(str, value))[:5])
        more = ", ..." if len(value) > 5 else ""
        return f"mapping with {len(value)} keys ({keys}{more})"
    if isinstance(value, (tuple, list, set, frozenset)):
        return f"{type(value).__name__} of {len(value)} items"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
