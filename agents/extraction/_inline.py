"""The ``inline`` source: records given in the params or in the run input."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import polars as pl

from actorflow.contracts import Records, listing, quote

from ._limits import Meter
from ._result import ReadError, SourceData
from ._sources import InlineSource
from ._values import RecordShapeError, frame_from_objects, to_text


async def read_inline(
    config: InlineSource, run_input: Mapping[str, Any], *, meter: Meter | None = None
) -> SourceData:
    """Read an inline source.

    Raises:
        ReadError: the input key is missing, or holds something other than records.
        LimitReached: it has more records than the ``meter`` allows.
    """
    if config.input_key is None:
        value: Any = config.records
        label = "records[{index}]"
        info: dict[str, Any] = {}
    else:
        key = config.input_key
        if key not in run_input:
            known = listing(quote(k) for k in run_input) or "none"
            raise ReadError(f"the run input has no {quote(key)} (its keys: {known})")
        value = run_input[key]
        label = f"{key}[{{index}}]"
        info = {"input_key": key}
    if not isinstance(value, (list, tuple, Records)):
        raise ReadError(f"{label.split('[')[0]} is a {type(value).__name__}, not a list of records")
    if meter is not None:
        meter.add_rows(len(value))  # already in memory, but counted in the stage's records
    if isinstance(value, Records):
        return SourceData(strings(value.frame), info=info)
    try:
        # Inline lists can be large (an API upload): convert off the loop.
        frame, stats = await asyncio.to_thread(frame_from_objects, value, label=label)
    except RecordShapeError as exc:
        raise ReadError(str(exc)) from None
    return SourceData(frame, info=info, fields=stats)


def strings(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as strings, the way other sources' values are spelled."""
    exprs = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if dtype == pl.String:
            continue
        if dtype == pl.Boolean:
            # str(True), as JSON values are converted.
            spelled = pl.when(column).then(pl.lit("True")).when(~column).then(pl.lit("False"))
            exprs.append(spelled.alias(name))
        elif dtype.is_numeric():
            exprs.append(column.cast(pl.String))
        else:
            exprs.append(column.map_elements(to_text, return_dtype=pl.String, skip_nulls=True))
    return frame.with_columns(exprs) if exprs else frame
