"""Stage outputs as files: records as CSV and Parquet, the rest as JSON, insights as Markdown.

Layout of an output folder (every name starts with the stage's, so stages never clash)::

    run.json                        the run: status, stages, errors, what was written
    <stage>.json                    a stage's output; records in it are replaced by a
                                    note naming their files, Decimal is a string
    <stage>.csv, <stage>.parquet    a stage whose output is records
    <stage>.<key>.csv / .parquet    records inside an output (``extract.records.csv``)
    <stage>.md                      an insights output's ``markdown``
    <chart>.svg                     each of its ``charts`` (as the Markdown links them)
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from actorflow._jsonview import RecordsHandler
from actorflow._jsonview import to_jsonable as _to_jsonable
from actorflow.contracts import Records

__all__ = ["ResultWriter", "insights_of", "records_summary", "to_jsonable"]

"""Turns one ``Records`` found at a path (``"records"``, ``"batches.0"``) into JSON data."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def records_summary(records: Records) -> dict[str, Any]:
    """What JSON says about records it does not hold: their size and columns."""
    return {"records": len(records), "columns": list(records.columns)}


def to_jsonable(value: Any, *, records: RecordsHandler | None = None, where: str = "") -> Any:
    """Plain JSON data for ``value`` (see :func:`actorflow._jsonview.to_jsonable`).

    Args:
        value: a stage output, an input or any frozen value.
        records: what to put in place of each ``Records`` (by default its summary).
        where: the path of ``value`` inside the whole (names the files of records).
    """
    return _to_jsonable(value, records=records or _summary, where=where)


def _summary(records: Records, _where: str) -> dict[str, Any]:
    return records_summary(records)


def insights_of(output: Any) -> tuple[str, Mapping[str, Any]] | None:
    """An insights output's Markdown and its charts (name -> SVG text), if it is one."""
    if not isinstance(output, Mapping):
        return None
    markdown = output.get("markdown")
    if not isinstance(markdown, str):
        return None
    charts = output.get("charts")
    svgs = (
        {str(k): v for k, v in charts.items() if isinstance(v, str)}
        if isinstance(charts, Mapping)
        else {}
    )
    return markdown, svgs


class ResultWriter:
    """Writes stage outputs into one folder (see the module's docstring for the layout).

    Args:
        folder: created if missing.

    Raises:
        OSError: the folder cannot be created.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        #: files written so far, relative to the folder, in order.
        self.files: list[str] = []

    def write_stage(self, stage: str, value: Any, *, parquet: Sequence[Path] = ()) -> Any:
        """Write one stage's output; return the JSON data that stands for it.

        Args:
            stage: the stage's name.
            value: its output.
            parquet: existing Parquet files of the output's records, in the order the
                records appear in it (the run store's files): copied rather than
                written again.
        """
        if value is None:
            return None
        found = 0

        def on_records(records: Records, where: str) -> dict[str, Any]:
            nonlocal found
            base = _safe(f"{stage}.{where}" if where else stage)
            source = parquet[found] if found < len(parquet) else None
            found += 1
            return self._records(base, records, source)

        if isinstance(value, Records):
            return on_records(value, "")
        data = to_jsonable(value, records=on_records)
        insights = insights_of(value)
        if insights is not None:
            markdown, charts = insights
            data["markdown"] = self._text(f"{_safe(stage)}.md", markdown)
            data["charts"] = {
                # Named as the chart is, so the Markdown's image links resolve.
                name: self._text(_safe(name if name.endswith(".svg") else f"{name}.svg"), svg)
                for name, svg in charts.items()
            }
        self.write_json(f"{_safe(stage)}.json", data)
        return data

    def write_json(self, name: str, data: Any) -> str:
        """Write ``data`` (already plain JSON data) as indented UTF-8 JSON."""
        return self._text(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def _text(self, name: str, text: str) -> str:
        (self.folder / name).write_text(text, encoding="utf-8")
        return self._added(name)

    def _added(self, name: str) -> str:
        if name not in self.files:
            self.files.append(name)
        return name

    def _records(self, base: str, records: Records, source: Path | None) -> dict[str, Any]:
        csv_name, parquet_name = f"{base}.csv", f"{base}.parquet"
        if source is not None:
            shutil.copyfile(source, self.folder / parquet_name)
        else:
            records.write_parquet(self.folder / parquet_name)
        if records.on_disk and not any(dtype.is_nested() for dtype in records.schema.values()):
            # Streamed from the files, a batch at a time: a big table is never held whole.
            records.lazy().sink_csv(self.folder / csv_name)
        else:
            _csv_ready(records.frame).write_csv(self.folder / csv_name)
        self._added(csv_name)
        self._added(parquet_name)
        return {**records_summary(records), "csv": csv_name, "parquet": parquet_name}


def _safe(name: str) -> str:
    """A file name from stage and key names (stage names are safe; keys may not be)."""
    cleaned = _UNSAFE.sub("_", name).strip(".")
    return cleaned or "output"


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with nested columns (lists, structs), which CSV cannot hold, as JSON text."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    if not nested:
        return frame
    return frame.with_columns(
        pl.Series(
            name,
            [
                None if v is None else json.dumps(to_jsonable(v), ensure_ascii=False)
                for v in frame[name].to_list()
            ],
            dtype=pl.String,
        )
        for name in nested
    )
