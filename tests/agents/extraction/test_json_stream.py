"""A JSON document bigger than ``batch_bytes`` is parsed as a stream, and gives exactly
what the whole parse gives: the same records, warnings and errors."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actorflow.agents.extraction import _values as extraction_values
from actorflow.agents.extraction import extract
from actorflow.agents.extraction._file import read_file
from actorflow.agents.extraction._sources import FileSource
from actorflow.contracts import SPILL_DIR_ENV, DataValidationError, SourceError

#: Every test here spills into a folder of its own (see conftest.spill_root).
pytestmark = pytest.mark.usefixtures("spill_root")

WHOLE = 1 << 30  # no test file comes near: parsed whole

LAYOUTS: dict[str, tuple[Any, dict[str, Any]]] = {
    # layout: (how the records are wrapped, the source options that find them)
    "list": (lambda records: records, {}),
    "records key": (lambda records: {"total": len(records), "records": records}, {}),
    "records path": (
        lambda records: {"result": {"rows": records}},
        {"records_path": "result.rows"},
    ),
    "only list": (lambda records: {"meta": {"n": 1}, "data": records}, {}),  # found whole
}


async def extraction(
    path: Path, batch_bytes: int, *, spill_over_mb: float | None = 256, **options: Any
) -> dict[str, Any]:
    source = {"type": "file", "path": str(path), "batch_bytes": batch_bytes, **options}
    return await extract({"sources": [source], "spill_over_mb": spill_over_mb})


async def both(path: Path, batch_bytes: int, **options: Any) -> tuple[Any, Any]:
    """The whole parse's output or error, and the stream's: records streamed go to disk
    (a whole parse stays in memory, so ``on_disk`` tells which parse ran)."""
    results = []
    for size, spill in ((WHOLE, None), (batch_bytes, 0)):
        try:
            results.append(await extraction(path, size, spill_over_mb=spill, **options))
        except (SourceError, DataValidationError) as exc:
            results.append(f"{type(exc).__name__}: {exc}")
    return results[0], results[1]


def assert_same(whole: dict[str, Any], streamed: dict[str, Any]) -> list[dict[str, Any]]:
    """Equal outputs; returns the streamed run's one extra kind of warning: records that
    only the whole parse could find, in a document big enough to stream."""
    assert streamed["records"].schema == whole["records"].schema
    assert streamed["records"].frame.equals(whole["records"].frame)
    for key in ("sources", "errors", "counts"):
        assert streamed[key] == whole[key], key
    extra = [w for w in streamed["warnings"] if w["kind"] == "parsed_whole"]
    assert [w for w in streamed["warnings"] if w not in extra] == whole["warnings"]
    return extra


def records_of(count: int) -> list[dict[str, Any]]:
    return [
        {"id": n, "name": f'Shöw "{n}"\n', "revenue": n * 1.25, "tags": [n, {"k": None}]}
        | ({"email": f"{n}@x"} if n % 4 else {})
        for n in range(count)
    ]


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
)
records = st.lists(
    st.dictionaries(st.sampled_from(["id", "name", "revenue", "date", "ñ", "a b"]), values),
    max_size=40,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    items=records,
    layout=st.sampled_from(sorted(LAYOUTS)),
    indent=st.sampled_from([None, 0, 2]),
    ascii_only=st.booleans(),
    batch_bytes=st.integers(1, 300),
)
async def test_a_streamed_document_gives_what_the_whole_parse_gives(
    tmp_path: Path,
    *,
    items: list[dict[str, Any]],
    layout: str,
    indent: int | None,
    ascii_only: bool,
    batch_bytes: int,
) -> None:
    wrap, options = LAYOUTS[layout]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(wrap(items), indent=indent, ensure_ascii=ascii_only))
    whole, streamed = await both(path, batch_bytes, **options)
    if isinstance(whole, str):  # no records: the stream falls back to the whole parse
        assert streamed == whole
    else:
        extra = assert_same(whole, streamed)
        big = path.stat().st_size > batch_bytes
        assert bool(extra) == (layout == "only list" and big and bool(items))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
async def test_every_layout_streams_with_its_warnings(tmp_path: Path, layout: str) -> None:
    wrap, options = LAYOUTS[layout]
    path = tmp_path / "shows.json"
    path.write_text(json.dumps(wrap(records_of(3000)), indent=1))
    whole, streamed = await both(path, 4096, **options)
    extra = assert_same(whole, streamed)
    assert streamed["records"].on_disk == (layout != "only list")
    assert streamed["counts"] == {"shows": 3000}
    (warning,) = whole["warnings"]
    assert warning["kind"] == "inconsistent_fields"
    assert warning["fields"] == {"email": 750}
    if layout == "only list":
        # Found by elimination, so parsed whole: the warning says how to stream it.
        (hint,) = extra
        assert "set records_path to 'data'" in hint["message"]
        assert hint["source"] == "shows"
        assert hint["count"] == 3000
        source = {"type": "file", "path": str(path), "batch_bytes": 4096, "records_path": "data"}
        hinted = await extract({"sources": [source], "spill_over_mb": 0})
        assert hinted["records"].on_disk
        assert hinted["records"].frame.equals(whole["records"].frame)
    else:
        assert extra == []


async def test_numbers_keep_their_literal_form(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text("[" + ",".join('{"price": 19.990, "n": 1e3}' for _ in range(200)) + "]")
    out = await extraction(path, 64)
    assert set(out["records"].frame["price"]) == {"19.990"}
    assert set(out["records"].frame["n"]) == {"1E+3"}  # Decimal("1e3"), as the whole parse


def location(message: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+): invalid JSON", message)
    assert found is not None, message
    return int(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("indent", [None, 1], ids=["one line", "pretty"])
@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ('"name":', '"name"'),  # a missing colon
        ('"revenue"', ',"revenue"'),  # a stray comma
        ('"tags": [', '"tags": ]'),  # a bracket that closes nothing
        ('"id": 2137', '"id": 2137x'),  # a bad literal
    ],
)
async def test_malformed_json_far_into_a_streamed_file_names_its_line_and_column(
    tmp_path: Path, indent: int | None, good: str, bad: str
) -> None:
    text = json.dumps(records_of(3000), indent=indent)
    record = text.index('"id": 2137')
    at = text.index(good, record)
    path = tmp_path / "broken.json"
    path.write_text(text[:at] + bad + text[at + len(good) :])
    whole, streamed = await both(path, 1000)
    broken = text[:at] + bad + text[at + len(good) :]
    line, column = location(streamed)
    # yajl points at the bad token or just after the token that follows it: within the
    # broken record, which ends where the next one starts.
    end = broken.index('"id": 2138')
    line_start = broken.rfind("\n", 0, at) + 1
    assert line == broken.count("\n", 0, at) + 1
    assert at - line_start + 1 <= column <= end - line_start + 1
    assert location(whole)[0] == line


async def test_a_streamed_document_that_ends_early_says_so_with_its_last_line(
    tmp_path: Path,
) -> None:
    text = json.dumps(records_of(500), indent=1)
    path = tmp_path / "short.json"
    path.write_text(text[: len(text) // 2])
    whole, streamed = await both(path, 1000)
    assert streamed == whole
    assert "the JSON ends before the document is complete" in streamed


async def test_a_streamed_record_that_is_not_an_object_is_named_by_its_index(
    tmp_path: Path,
) -> None:
    items: list[Any] = records_of(2000)
    items[1500] = ["not", "a", "record"]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"result": {"rows": items}}))
    whole, streamed = await both(path, 1000, records_path="result.rows")
    assert streamed == whole
    assert "result.rows[1500] is a list, not an object" in streamed


async def test_records_missing_from_a_streamed_path_are_reported_as_by_the_whole_parse(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps({"result": {"items": records_of(500)}}))
    whole, streamed = await both(path, 1000, records_path="result.rows")
    assert streamed == whole
    assert "no 'rows' at result (its keys: 'items')" in streamed


async def test_bad_bytes_in_a_streamed_document_name_their_line(tmp_path: Path) -> None:
    text = json.dumps(records_of(500), indent=1).encode()
    at = text.index(b'"id": 321')
    path = tmp_path / "latin.json"
    path.write_bytes(text[:at] + b'"\xe9",' + text[at:])
    whole, streamed = await both(path, 1000)
    assert streamed == whole
    line = text.count(b"\n", 0, at) + 1
    assert f"line {line}, column" in streamed
    assert "not valid UTF-8" in streamed


async def test_a_big_document_streams_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shows.json"
    path.write_text(json.dumps({"records": records_of(3000)}))
    in_memory = await extraction(path, 4096, spill_over_mb=None)
    on_disk = await extraction(path, 4096, spill_over_mb=0)
    assert on_disk["records"].on_disk
    assert not in_memory["records"].on_disk
    assert_same(in_memory, on_disk)
    # Records found only by the whole parse stay in memory, and leave no files behind.
    other = tmp_path / "other-spill"
    other.mkdir()
    monkeypatch.setenv(SPILL_DIR_ENV, str(other))
    path.write_text(json.dumps({"meta": {}, "data": records_of(300)}))
    found = await extraction(path, 4096, spill_over_mb=0)
    assert not found["records"].on_disk
    assert len(found["records"]) == 300
    assert list(other.iterdir()) == []


class StageCancelledError(Exception):
    pass


async def test_a_cancelled_stream_stops_and_deletes_what_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extraction_values, "OBJECT_BATCH", 100)  # a part on disk per 100 records
    path = tmp_path / "shows.json"
    path.write_text(json.dumps(records_of(3000)))
    source = FileSource(path=str(path), batch_bytes=4096)
    read = await read_file(source, spill_over_bytes=0, spill_dir=tmp_path / "spill")
    assert read.frame.on_disk  # type: ignore[union-attr]
    reads = 0

    def check() -> None:
        nonlocal reads
        reads += 1
        if reads == 40:  # the stage is cancelled halfway through the file
            raise StageCancelledError

    spill = tmp_path / "cancelled"
    spill.mkdir()
    with pytest.raises(StageCancelledError):
        await read_file(source, check_cancelled=check, spill_over_bytes=0, spill_dir=spill)
    assert reads == 40
    assert list(spill.iterdir()) == []


async def test_a_stream_whose_task_is_cancelled_ends_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(extraction_values, "OBJECT_BATCH", 100)
    path = tmp_path / "shows.json"
    path.write_text(json.dumps(records_of(3000)))
    spill = tmp_path / "cancelled"
    spill.mkdir()
    reads = 0

    def check() -> None:
        nonlocal reads
        reads += 1
        if reads == 40:  # a run timeout, say, cancels the stage's task halfway
            task.cancel()

    source = FileSource(path=str(path), batch_bytes=4096)
    task = asyncio.ensure_future(
        read_file(source, check_cancelled=check, spill_over_bytes=0, spill_dir=spill)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 40 <= reads < 45  # the parser's thread stopped at once
    assert list(spill.iterdir()) == []
    gc.collect()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
