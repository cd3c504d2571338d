"""Files over ``spill_over_mb`` are read to disk and give exactly what memory would have."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from actorflow.agents.extraction import extract
from actorflow.contracts import SourceError, WorkflowValidationError

#: Every test here spills into a folder of its own (see conftest.spill_root).
pytestmark = pytest.mark.usefixtures("spill_root")


def csv_text(rows: int) -> str:
    lines = ["id,name,revenue,source"]
    lines += [f'{n},"Show, {n % 7}",${n}.50,{"disk" if n % 3 else ""}' for n in range(rows)]
    return "\n".join(lines) + "\n"


async def both(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The extraction into memory and to disk (every file over a 0 MiB limit)."""
    in_memory = await extract({**params, "spill_over_mb": None})
    on_disk = await extract({**params, "spill_over_mb": 0})
    return in_memory, on_disk


def assert_same(in_memory: dict[str, Any], on_disk: dict[str, Any]) -> None:
    assert not in_memory["records"].on_disk
    assert on_disk["records"].on_disk
    assert on_disk["records"].schema == in_memory["records"].schema
    assert on_disk["records"].frame.equals(in_memory["records"].frame)
    for key in ("sources", "errors", "warnings", "counts"):
        assert on_disk[key] == in_memory[key], key


@pytest.mark.parametrize("rows", [3, 30_000])  # read in batches / read by polars directly
async def test_a_csv_file_read_to_disk_equals_the_one_read_into_memory(
    tmp_path: Path, rows: int
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_text(rows))
    # Its own "source" column disagrees with the source name: renamed, and warned about.
    params = {
        "sources": [{"type": "file", "path": str(path)}],
        "required_fields": ["source_original"],
    }
    in_memory, on_disk = await both(params)
    assert_same(in_memory, on_disk)
    assert on_disk["records"].columns[:2] == ("source", "id")
    assert "source_original" in on_disk["records"].columns
    kinds = [w["kind"] for w in on_disk["warnings"]]
    assert kinds == ["renamed_columns", "missing_required_fields"]


async def test_only_files_over_the_limit_go_to_disk(tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    path.write_text(csv_text(10))
    out = await extract({"sources": [{"type": "file", "path": str(path)}]})  # 256 MiB limit
    assert not out["records"].on_disk
    limit = (path.stat().st_size - 1) / 1024 / 1024
    out = await extract({"sources": [{"type": "file", "path": str(path)}], "spill_over_mb": limit})
    assert out["records"].on_disk


async def test_jsonl_and_text_files_read_to_disk_equal_the_ones_in_memory(tmp_path: Path) -> None:
    jsonl = tmp_path / "events.jsonl"
    lines = [
        json.dumps({"id": n, "amount": f"{n}.5"} | ({"note": "x"} if n % 4 else {}))
        for n in range(500)
    ]
    jsonl.write_text("\n".join(lines) + "\n")
    text = tmp_path / "notes.txt"
    text.write_text("".join(f"line {n}\n\n" for n in range(300)))
    for path in (jsonl, text):
        # Small batches: many parts on disk, with differing columns for the JSON Lines.
        source = {"type": "file", "path": str(path), "batch_bytes": 512}
        in_memory, on_disk = await both({"sources": [source]})
        assert_same(in_memory, on_disk)
        assert len(on_disk["records"]) in (500, 300)


@pytest.mark.parametrize("fields", ["some", "none"])
async def test_records_without_a_field_keep_their_rows_on_disk(tmp_path: Path, fields: str) -> None:
    # Whole batches of {} have no column to be written in; they become null rows.
    empty = ["{}"] * 40
    named = [json.dumps({"id": n}) for n in range(10)] if fields == "some" else []
    path = tmp_path / "sparse.jsonl"
    path.write_text("\n".join([*empty, *named, *empty, *named, *empty]) + "\n")
    source = {"type": "file", "path": str(path), "batch_bytes": 64}
    in_memory, on_disk = await both({"sources": [source]})
    assert len(in_memory["records"]) == len(on_disk["records"]) == 120 + len(named) * 2
    assert on_disk["records"].frame.equals(in_memory["records"].frame)
    assert on_disk["counts"] == in_memory["counts"]


async def test_sources_in_memory_join_a_file_read_to_disk_in_order(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_text(50))
    params = {
        "sources": [
            {"type": "inline", "name": "first", "records": [{"id": "a", "extra": "1"}]},
            {"type": "file", "name": "file", "path": str(path)},
            {"type": "inline", "name": "last", "records": [{"id": "z"}]},
        ]
    }
    in_memory, on_disk = await both(params)
    assert_same(in_memory, on_disk)
    tags = on_disk["records"].frame.get_column("source").to_list()
    assert tags == ["first", *["file"] * 50, "last"]
    assert on_disk["counts"] == {"first": 1, "file": 50, "last": 1}


async def test_a_bad_file_read_to_disk_is_reported_and_leaves_no_files(
    tmp_path: Path, spill_root: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(30_000).replace("\n29000,", "\n29000,x,y,z,", 1))
    with pytest.raises(SourceError, match=r"line 29002: expected 4 fields"):
        await extract({"sources": [{"type": "file", "path": str(path)}], "spill_over_mb": 0})
    gc.collect()
    assert os.listdir(spill_root) == []


async def test_a_negative_limit_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(WorkflowValidationError, match="spill_over_mb"):
        await extract({"sources": [{"type": "file", "path": "x.csv"}], "spill_over_mb": -1})


async def test_spill_dir_chooses_where_the_files_go(tmp_path: Path, spill_root: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(csv_text(100))
    chosen = tmp_path / "big-disk"
    params = {"sources": [{"type": "file", "path": str(path)}], "spill_over_mb": 0}
    out = await extract({**params, "spill_dir": str(chosen)})
    location = out["records"].location
    assert location is not None
    assert location.parent == chosen
    assert os.listdir(spill_root) == []
    with pytest.raises(WorkflowValidationError, match="spill_dir"):
        await extract({**params, "spill_dir": ""})


def make_database(path: Path, rows: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("create table sales (id integer, name text, revenue text)")
        connection.executemany(
            "insert into sales values (?, ?, ?)",
            [(n, f"Show {n % 9}", f"{n}.25" if n % 11 else None) for n in range(rows)],
        )


async def test_a_query_result_moves_to_disk_once_it_passes_the_limit(tmp_path: Path) -> None:
    database = tmp_path / "sales.db"
    make_database(database, 5_000)
    source = {"type": "database", "path": str(database), "batch_rows": 400}
    source["query"] = "select * from sales where id >= ? order by id"
    source["parameters"] = [10]
    in_memory = await extract({"sources": [source], "spill_over_mb": None})
    small = await extract({"sources": [source], "spill_over_mb": 0.01})  # ~10 KB: on disk
    large = await extract({"sources": [source], "spill_over_mb": 100})
    assert_same(in_memory, small)
    assert not large["records"].on_disk
    assert len(small["records"]) == 4_990
    assert small["records"].frame.get_column("id").to_list()[:2] == ["10", "11"]
