"""Stage outputs as JSON: exact money as strings, dates as ISO text, record tables as rows.

Stage outputs are frozen values (FrozenMap, tuples, ``Decimal``, dates, ``Records``...).
The API shows them as plain JSON. A ``Records`` table becomes an object with its row
count, its columns and its first rows (all rows in a download), never a bare list, so a
client sees the same shape whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actorflow._jsonview import to_jsonable
from actorflow.api_schema import ApiStatus, RunError
from actorflow.contracts import ErrorInfo, Records

_API_STATUS: dict[str, ApiStatus] = {
    "pending": "processing",
    "running": "processing",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
    # The seed's clients know four statuses; a run whose process died is a failure to them.
    "interrupted": "failed",
}

#: What ``?status=`` of the list means in the store's statuses.
STORE_STATUSES: dict[str, tuple[str, ...]] = {
    "processing": ("pending", "running"),
    "completed": ("completed",),
    "failed": ("failed", "interrupted"),
    "cancelled": ("cancelled",),
}


def api_status(status: str) -> ApiStatus:
    return _API_STATUS.get(status, "processing")


def run_error(error: ErrorInfo | None) -> RunError | None:
    if error is None:
        return None
    return RunError(type=error.type, message=error.message, stage=error.stage)


def error_text(error: RunError | None) -> str | None:
    """A run's error as the seed's ``error`` string: the sentence, with the stage at fault."""
    if error is None:
        return None
    if error.stage and error.stage not in error.message:
        return f"stage {error.stage!r}: {error.message}"
    return error.message


def records_json(records: Records, rows: int | None) -> dict[str, Any]:
    """A table: ``{"type": "records", "count", "columns", "rows", "truncated"}``."""
    count = len(records)
    # Only the rows shown are read (records on disk are not read whole for a preview).
    frame = records.frame if rows is None or count <= rows else records.head(rows).frame
    return {
        "type": "records",
        "count": count,
        "columns": list(records.columns),
        "rows": [to_json(row, rows) for row in frame.iter_rows(named=True)],
        "truncated": frame.height < count,
    }


def to_json(value: Any, rows: int | None = None) -> Any:
    """``value`` as JSON-ready data; record tables cut to ``rows`` rows (None: all)."""
    return to_jsonable(value, records=lambda records, _where: records_json(records, rows))


def tables(output: Any) -> dict[str, Records]:
    """The record tables in a stage's output: the output itself, or its top-level keys."""
    if isinstance(output, Records):
        return {"records": output}
    if isinstance(output, Mapping):
        return {str(k): v for k, v in output.items() if isinstance(v, Records)}
    return {}
