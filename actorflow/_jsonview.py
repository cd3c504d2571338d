"""The JSON view of stage outputs and inputs: one definition for the CLI and the web API.

Exact values stay exact (a Decimal is its string, "12.30", never a float), dates are ISO
text, and what a caller does with a table of records is its own choice (``records``):
the CLI writes them to files and summarises them, the web API inlines their first rows.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from actorflow.contracts import Records

__all__ = ["RecordsHandler", "to_jsonable"]

#: What stands for a table of records, given the table and its path in the whole.
RecordsHandler = Callable[[Records, str], Any]


def to_jsonable(  # noqa: PLR0911, PLR0912 - one branch per type is the clearest dispatch
    value: Any, *, records: RecordsHandler, where: str = ""
) -> Any:
    """Plain JSON data for ``value``: Decimal and dates as strings, tuples as lists.

    Args:
        value: a stage output, an input or any frozen value.
        records: what to put in place of each ``Records``.
        where: the path of ``value`` inside the whole (``"report.records"``).
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        # A string keeps the exact amount ("12.30"); a JSON number would be a float.
        return str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, records=records, where=where)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Records):
        return records(value, where)
    if isinstance(value, Mapping):
        return {
            str(k): to_jsonable(v, records=records, where=_join(where, str(k)))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [
            to_jsonable(v, records=records, where=_join(where, str(i))) for i, v in enumerate(value)
        ]
    if isinstance(value, (set, frozenset)):
        return [to_jsonable(v, records=records, where=where) for v in value]
    if isinstance(value, msgspec.Struct):
        return to_jsonable(msgspec.structs.asdict(value), records=records, where=where)
    return str(value)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
