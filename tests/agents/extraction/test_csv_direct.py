"""Big CSV files are read in one polars call, only when that provably equals the batched read.

Every test compares the direct read with the batched reader on the same file, or checks
that a file the direct read must refuse still gets the batched reader's error, naming its
line. Files are made bigger than the sniffing sample (16K characters), the smallest a
file read directly can be, and a "deep" problem lies past the head the layout is taken
from (64K characters), where only the direct read's own checks can find it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actorflow.agents.extraction import FileSource, extract
from actorflow.agents.extraction._csv import CsvParser
from actorflow.agents.extraction._csv_direct import read_csv_direct
from actorflow.agents.extraction._file import _read_csv_batches
from actorflow.agents.extraction._result import ReadError
from actorflow.contracts import Records, SourceError, spill_root

ROWS = 1_000  # about 40K characters: past the sniffing sample
DEEP = 20_000  # rows of about 9 characters: the problem row below is past the head


def no_cancel() -> None:
    return None


@pytest.fixture(params=[False, True], ids=["in_memory", "on_disk"])
def spill(request: pytest.FixtureRequest) -> bool:
    """Every test runs twice: reading into memory, and streaming to disk (a big file)."""
    return bool(request.param)


def as_frame(table: pl.DataFrame | Records, spill: bool) -> pl.DataFrame:
    assert isinstance(table, Records) == spill
    return table.frame if isinstance(table, Records) else table


async def direct_read(path: Path, spill: bool) -> pl.DataFrame | None:
    parser = CsvParser(delimiter=None, has_header=None)
    table = await read_csv_direct(
        path,
        parser,
        encoding="utf-8",
        batch_bytes=8 * 1024 * 1024,
        check_cancelled=no_cancel,
        spill=spill_root() if spill else None,
    )
    return None if table is None else as_frame(table, spill)


async def batched_read(path: Path, spill: bool) -> pl.DataFrame:
    parser = CsvParser(delimiter=None, has_header=None)
    folder = spill_root() if spill else None
    table = await _read_csv_batches(path, FileSource(path=str(path)), parser, no_cancel, folder)
    return as_frame(table, spill)


def params(path: Path, spill: bool) -> dict[str, object]:
    return {"sources": [{"type": "file", "path": str(path)}], "spill_over_mb": 0 if spill else None}


def rows_text(rows: int, *, newline: str = "\n") -> str:
    lines = ["id,name,amount,note"]
    for n in range(rows):
        note = ['"a, b"', '"say ""hi"""', '""', "", "plain", '"two\nlines"'][n % 6]
        lines.append(f'{n},Zoë {n},"1,{n:03d}.50",{note}')
    return newline.join(lines) + newline


async def error_of(path: Path, spill: bool) -> str:
    with pytest.raises(SourceError) as caught:
        await extract(params(path, spill))
    return str(caught.value)


async def test_a_big_clean_csv_is_read_directly_and_equals_the_batched_read(
    tmp_path: Path,
    spill: bool,
) -> None:
    path = tmp_path / "clean.csv"
    path.write_text(rows_text(ROWS), encoding="utf-8")
    direct = await direct_read(path, spill)
    assert direct is not None
    assert direct.equals(await batched_read(path, spill))
    assert direct.row(4) == ("4", "Zoë 4", "1,004.50", "plain")
    assert direct.row(2, named=True)["note"] == ""  # a quoted empty field stays ""
    assert direct.row(3, named=True)["note"] is None  # an empty one is null


async def test_crlf_line_ends_and_a_bom_read_directly_like_batched(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + rows_text(ROWS, newline="\r\n").encode())
    direct = await direct_read(path, spill)
    assert direct is not None
    assert direct.columns == ["id", "name", "amount", "note"]
    assert direct.equals(await batched_read(path, spill))


async def test_a_last_column_without_nulls_needs_no_delimiter_count(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "full.csv"
    path.write_text("a,b\n" + "".join(f"{n},x{n}\n" for n in range(5_000)))
    direct = await direct_read(path, spill)
    assert direct is not None
    assert direct.equals(await batched_read(path, spill))


async def test_a_short_row_deep_in_a_big_file_is_named_by_the_batched_reader(
    tmp_path: Path,
    spill: bool,
) -> None:
    # The last column has empty values elsewhere, so only the delimiter count can tell.
    text = rows_text(ROWS).replace('\n700,Zoë 700,"1,700.50",', "\n700,Zoë 700\n", 1)
    path = tmp_path / "short.csv"
    path.write_text(text, encoding="utf-8")
    assert await direct_read(path, spill) is None
    line = text[: text.index("\n700,")].count("\n") + 2
    assert f"line {line}: expected 4 fields (as in the header), found 2" in await error_of(
        path, spill
    )


async def test_a_short_last_row_of_a_big_file_says_it_may_be_truncated(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("a,b,c\n" + "".join(f"{n},x,y\n" for n in range(DEEP)) + "20000,x")
    assert await direct_read(path, spill) is None
    message = await error_of(path, spill)
    assert "line 20002: expected 3 fields (as in the header), found 2" in message
    assert "truncated" in message


async def test_blank_lines_in_a_big_file_are_skipped_as_in_batches(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(
        "a,b\n" + "".join(f"{n},x\n" + ("\n" if n % 5_000 == 4_999 else "") for n in range(DEEP))
    )
    assert await direct_read(path, spill) is None
    out = await extract(params(path, spill))
    assert len(out["records"]) == DEEP


async def test_a_nul_byte_deep_in_a_big_file_is_reported_with_its_line(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "nul.csv"
    path.write_text(
        "a,b\n" + "".join(f"{n},x\n" for n in range(DEEP)).replace("\n19500,x", "\n19500,\x00")
    )
    assert await direct_read(path, spill) is None
    assert "line 19502: a NUL character" in await error_of(path, spill)


async def test_invalid_utf8_deep_in_a_big_file_names_its_line_and_column(
    tmp_path: Path, spill: bool
) -> None:
    body = "".join(f"{n},x\n" for n in range(DEEP)).encode()
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a,b\n" + body.replace(b"\n19500,x", b"\n19500,Jos\xe9"))
    assert await direct_read(path, spill) is None
    assert "line 19502, column 10: byte e9 is not valid UTF-8" in await error_of(path, spill)


async def test_an_extra_field_deep_in_a_big_file_names_its_line(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(
        "a,b\n" + "".join(f"{n},x\n" for n in range(DEEP)).replace("\n19500,x", "\n19500,x,y")
    )
    assert await direct_read(path, spill) is None
    assert "line 19502: expected 2 fields (as in the header), found 3" in await error_of(
        path, spill
    )


async def test_a_file_smaller_than_the_sniffing_sample_is_read_in_batches(
    tmp_path: Path, spill: bool
) -> None:
    path = tmp_path / "small.csv"
    path.write_text(rows_text(20))
    assert await direct_read(path, spill) is None


async def test_a_one_column_file_is_read_in_batches(tmp_path: Path, spill: bool) -> None:
    path = tmp_path / "single.csv"
    path.write_text("name\n" + "".join(f"n{n}\n\n" for n in range(5_000)))
    assert await direct_read(path, spill) is None
    out = await extract(params(path, spill))
    assert len(out["records"]) == 5_000


FIELD = st.one_of(
    st.text(alphabet='ab,"\n é', max_size=6),
    st.sampled_from(["", "1,234.50", "$5", '"', "x\r"]),
)


def csv_field(value: str) -> str:
    if value and not any(c in value for c in ',"\n\r') and value.strip() == value:
        return value
    return '"' + value.replace('"', '""') + '"' if value else ""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(FIELD, FIELD, FIELD), min_size=1, max_size=30))
def test_any_well_formed_file_reads_directly_exactly_as_in_batches(
    tmp_path: Path, spill: bool, records: list[tuple[str, str, str]]
) -> None:
    # The generated records, repeated past the sniffing sample.
    lines = [",".join(csv_field(v) for v in record) for record in records]
    body = "\n".join(lines) + "\n"
    path = tmp_path / "generated.csv"
    path.write_text("x,y,z\n" + body * (20_000 // len(body) + 1), encoding="utf-8")
    direct = asyncio.run(direct_read(path, spill))
    try:
        batched = asyncio.run(batched_read(path, spill))
    except ReadError:
        assert direct is None  # what the batched reader refuses, the direct one must too
        return
    if direct is not None:
        assert direct.equals(batched)
