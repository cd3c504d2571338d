"""A run's tables in JSON: the same preview whether the records are in memory or on disk."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from actorflow import Records, RecordsWriter
from actorflow.web._convert import records_json


@pytest.mark.parametrize("rows", [None, 3, 50])
def test_records_on_disk_preview_like_records_in_memory(tmp_path: Path, rows: int | None) -> None:
    frame = pl.DataFrame({"id": [f"r{n}" for n in range(10)], "n": list(range(10))})
    writer = RecordsWriter(tmp_path)
    for part in frame.iter_slices(4):
        writer.write(part)
    on_disk = writer.finish()
    assert on_disk.on_disk
    preview = records_json(on_disk, rows)
    assert preview == records_json(Records(frame), rows)
    assert preview["count"] == 10
    assert len(preview["rows"]) == (10 if rows is None else min(rows, 10))
    assert preview["truncated"] == (rows == 3)
