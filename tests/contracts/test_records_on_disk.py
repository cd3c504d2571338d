"""Records kept on disk read exactly like records in memory, and clean up after themselves."""

from __future__ import annotations

import gc
import os
import pickle
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow import Records, RecordsWriter
from actorflow.contracts import SPILL_DIR_ENV


def _frame(start: int, n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"id": [f"r{i}" for i in range(start, start + n)], "n": list(range(start, start + n))}
    )


def _stored(tmp_path: Path, sizes: list[int]) -> tuple[Records, Path]:
    writer = RecordsWriter(tmp_path)
    start = 0
    for size in sizes:
        writer.write(_frame(start, size))
        start += size
    return writer.finish(), writer.path


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=7), min_size=1, max_size=5),
    rows=st.integers(min_value=1, max_value=9),
)
def test_slices_cover_every_row_in_order_whatever_the_parts(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[int], rows: int
) -> None:
    records, _ = _stored(tmp_path_factory.mktemp("parts"), sizes)
    expected = _frame(0, sum(sizes))
    pieces = list(records.slices(rows))
    assert all(piece.height == rows for piece in pieces[:-1])
    assert all(0 < piece.height <= rows for piece in pieces)
    joined = pl.concat(pieces) if pieces else expected.clear()
    assert joined.equals(expected)
    assert records.frame.equals(expected)
    assert records.lazy().collect().equals(expected)
    assert len(records) == expected.height
    assert records.on_disk == (sum(sizes) > 0)


def test_parts_with_different_columns_read_like_concat_in_memory(tmp_path: Path) -> None:
    first = pl.DataFrame({"a": ["1", "2"], "b": [1, 2]})
    second = pl.DataFrame({"a": ["3"], "c": [True]})
    writer = RecordsWriter(tmp_path)
    writer.write(first)
    writer.write(second)
    stored = writer.finish()
    in_memory = Records.concat([Records(first), Records(second)])
    assert stored.schema == in_memory.schema
    assert stored == in_memory
    assert pl.concat(list(stored.slices(2))).equals(in_memory.frame)
    assert list(stored) == in_memory.to_dicts()


def test_concat_with_records_on_disk_stays_on_disk_and_keeps_order(tmp_path: Path) -> None:
    stored, _ = _stored(tmp_path, [3, 2])
    head = Records(_frame(100, 2))
    both = Records.concat([head, stored, head])
    assert both.on_disk
    assert both.frame.equals(pl.concat([_frame(100, 2), _frame(0, 5), _frame(100, 2)]))


def test_map_columns_changes_how_files_are_read_not_the_files(tmp_path: Path) -> None:
    stored, folder = _stored(tmp_path, [2, 2])
    files = sorted(folder.iterdir())
    before = [f.read_bytes() for f in files]
    tagged = stored.map_columns(lambda lf: lf.select(pl.lit("src").alias("source"), pl.all()))
    assert tagged.on_disk
    assert tagged.columns == ("source", "id", "n")
    assert tagged.frame.get_column("source").to_list() == ["src"] * 4
    assert stored.columns == ("id", "n")
    assert [f.read_bytes() for f in sorted(folder.iterdir())] == before


def test_a_receiver_changing_its_frame_changes_nothing_stored(tmp_path: Path) -> None:
    stored, folder = _stored(tmp_path, [3])
    mine = stored.frame
    mine[0, "n"] = 99  # polars' in-place setter
    assert stored.frame.get_column("n").to_list() == [0, 1, 2]
    for path in folder.iterdir():
        assert not os.access(path, os.W_OK) or os.geteuid() == 0
        assert path.stat().st_mode & 0o222 == 0


def test_files_are_deleted_with_the_last_records_using_them(tmp_path: Path) -> None:
    stored, folder = _stored(tmp_path, [2, 1])
    derived = Records.concat([stored, Records(_frame(9, 1))])
    del stored
    gc.collect()
    assert folder.exists(), "a derived Records still reads these files"
    assert derived.frame.height == 4
    del derived
    gc.collect()
    assert not folder.exists()


def test_a_writer_whose_block_raises_deletes_what_it_wrote(tmp_path: Path) -> None:
    folders: list[Path] = []

    def write_then_fail() -> None:
        with RecordsWriter(tmp_path) as writer:
            writer.write(_frame(0, 3))
            folders.append(writer.path)
            assert any(writer.path.iterdir())
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert not folders[0].exists()


def test_no_rows_written_gives_empty_records_in_memory_with_the_columns(tmp_path: Path) -> None:
    writer = RecordsWriter(tmp_path)
    writer.write(_frame(0, 0))
    records = writer.finish()
    assert not records.on_disk
    assert records.columns == ("id", "n")
    assert len(records) == 0
    assert not writer.path.exists()


def test_rows_without_a_column_are_kept_as_null_rows(tmp_path: Path) -> None:
    # A file cannot hold rows without columns (records with no field): the writer makes
    # them null rows of the columns around them, in their place.
    frames = [pl.DataFrame(height=2), _frame(0, 3), pl.DataFrame(height=4), _frame(3, 1)]
    frames.append(pl.DataFrame(height=5))
    writer = RecordsWriter(tmp_path)
    for frame in frames:
        writer.write(frame)
    assert writer.height == 15
    records = writer.finish()
    assert records.on_disk
    assert records.frame.equals(pl.concat(frames, how="diagonal"))
    alone = RecordsWriter(tmp_path)
    alone.write(pl.DataFrame(height=3))
    only = alone.finish()
    assert not only.on_disk
    assert (len(only), only.columns) == (3, ())
    assert not alone.path.exists()


def test_sink_streams_a_query_into_a_part(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    _frame(0, 1000).write_csv(source)
    writer = RecordsWriter(tmp_path)
    assert writer.sink(pl.scan_csv(source).filter(pl.col("n") % 2 == 0)) == 500
    records = writer.finish()
    assert records.on_disk
    assert records.frame.get_column("n").to_list() == list(range(0, 1000, 2))


def test_pickled_records_on_disk_arrive_as_data(tmp_path: Path) -> None:
    stored, folder = _stored(tmp_path, [2, 2])
    copy = pickle.loads(pickle.dumps(stored))
    assert not copy.on_disk
    assert copy == stored
    del stored
    gc.collect()
    assert not folder.exists()
    assert copy.frame.equals(_frame(0, 4))


def test_the_spill_root_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPILL_DIR_ENV, str(tmp_path / "spill"))
    writer = RecordsWriter()
    assert writer.path.parent == tmp_path / "spill"
    writer.write(_frame(0, 1))
    assert writer.finish().head(1).to_dicts() == [{"id": "r0", "n": 0}]


def test_no_parts_make_empty_records() -> None:
    records = Records.from_parts([])
    assert not records.on_disk
    assert len(records) == 0


def test_records_on_disk_write_the_same_parquet_as_in_memory(tmp_path: Path) -> None:
    stored, _ = _stored(tmp_path, [3, 4])
    stored.write_parquet(tmp_path / "stored.parquet")
    Records(_frame(0, 7)).write_parquet(tmp_path / "memory.parquet")
    written = pl.read_parquet(tmp_path / "stored.parquet")
    assert written.equals(pl.read_parquet(tmp_path / "memory.parquet"))
    assert written.equals(_frame(0, 7))
