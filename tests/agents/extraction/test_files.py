"""The ``file`` source: real files in tmp_path, good and bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from actorflow.agents.extraction import extract
from actorflow.contracts import SourceError


async def read(path: Path, **options: Any) -> dict[str, Any]:
    """Extract one file source and return the whole output."""
    return await extract({"sources": [{"type": "file", "path": str(path), **options}]})


async def rows(path: Path, **options: Any) -> list[dict[str, Any]]:
    out = await read(path, **options)
    return [{k: v for k, v in row.items() if k != "source"} for row in out["records"].to_dicts()]


async def error_of(path: Path, **options: Any) -> str:
    """The message of the SourceError a single bad file fails the stage with."""
    with pytest.raises(SourceError) as caught:
        await read(path, **options)
    return str(caught.value)


# -- CSV ------------------------------------------------------------------------------------


async def test_csv_values_stay_strings_and_empty_fields_become_null(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('id,amount,note\n1,N/A,""\n2,0012.50,\n')
    assert await rows(path) == [
        {"id": "1", "amount": "N/A", "note": ""},
        {"id": "2", "amount": "0012.50", "note": None},
    ]


async def test_csv_delimiter_and_header_are_sniffed(tmp_path: Path) -> None:
    semicolons = tmp_path / "semi.csv"
    semicolons.write_text("name;city\nann;Paris\nbob;Rome\n")
    assert await rows(semicolons) == [
        {"name": "ann", "city": "Paris"},
        {"name": "bob", "city": "Rome"},
    ]
    headless = tmp_path / "headless.csv"
    headless.write_text("1|ann|9.50\n2|bob|3\n")
    out = await read(headless)
    assert out["sources"][0]["delimiter"] == "|"
    assert out["sources"][0]["has_header"] is False
    assert out["records"].to_dicts()[0] == {
        "source": "headless",
        "column_1": "1",
        "column_2": "ann",
        "column_3": "9.50",
    }


async def test_csv_with_a_utf8_bom_reads_like_one_without(tmp_path: Path) -> None:
    with_bom = tmp_path / "bom.csv"
    with_bom.write_text("\ufeffid,name\n1,Zoë\n", encoding="utf-8")
    assert await rows(with_bom) == [{"id": "1", "name": "Zoë"}]


async def test_csv_in_small_batches_keeps_quoted_line_breaks_and_every_row(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    lines = ["id,note"] + [f'{i},"line one\nline two, of {i}"' for i in range(200)]
    path.write_text("\n".join(lines) + "\n\n")
    # 64-byte batches: most records straddle a batch boundary.
    records = await rows(path, batch_bytes=64)
    assert len(records) == 200
    assert records[199] == {"id": "199", "note": "line one\nline two, of 199"}


async def test_csv_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("\n\nid,name\n1,ann\n\n\r\n2,bob\n")
    assert await rows(path) == [{"id": "1", "name": "ann"}, {"id": "2", "name": "bob"}]


async def test_csv_source_info_gives_path_format_and_size(tmp_path: Path) -> None:
    path = tmp_path / "orders.tsv"
    path.write_text("id\tname\n1\tann\n")
    (info,) = (await read(path))["sources"]
    assert info["path"] == str(path)
    assert info["format"] == "csv"
    assert info["size_bytes"] == path.stat().st_size
    assert info["delimiter"] == "\t"
    assert info["records"] == 1


async def test_a_truncated_csv_names_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text("id,name,amount\n1,ann,3\n2,bo")
    message = await error_of(path)
    assert message.startswith(f"cut: file {path}: line 3: expected 3 fields")
    assert "found 2" in message
    assert "truncated" in message


async def test_a_csv_row_with_extra_fields_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("id,name\n1,ann\n2,bob,oops\n3,cy\n")
    message = await error_of(path, batch_bytes=16)
    assert "extra: " in message
    assert "line 3: expected 2 fields (as in the header), found 3" in message


async def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text('id,name\n1,ann\n2,"bob\n3,cy\n')
    message = await error_of(path)
    assert "quote: " in message
    assert "line 3: a quoted field is not closed" in message


async def test_a_binary_file_is_reported_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    message = await error_of(path)
    assert "image: " in message
    assert "binary file" in message
    assert "line 3" in message


async def test_bytes_invalid_in_utf8_name_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"id,name\n1,ann\n2,Jos" + "é".encode("latin-1") + b"\n")
    message = await error_of(path)
    assert "latin: " in message
    assert "line 3, column 6: byte e9 is not valid UTF-8" in message
    assert 'set encoding (e.g. "latin-1"' in message
    # ...and with the right encoding the file reads.
    assert (await rows(path, encoding="latin-1"))[-1] == {"id": "2", "name": "José"}


async def test_a_utf16_file_read_as_utf8_says_which_encoding_to_set(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("id,name\n1,ann\n", encoding="utf-16")
    assert 'set encoding to "utf-16"' in await error_of(path)
    assert await rows(path, encoding="utf-16") == [{"id": "1", "name": "ann"}]


async def test_a_missing_file_is_a_source_error_that_is_not_retried(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        await read(tmp_path / "nowhere.csv")
    assert str(caught.value).startswith(f"nowhere: file {tmp_path / 'nowhere.csv'}: file not found")
    assert caught.value.retryable is False


async def test_an_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "data.dat"
    path.write_text("a,b\n1,2\n")
    assert "set format to csv, json, jsonl or text" in await error_of(path)
    assert await rows(path, format="csv") == [{"a": "1", "b": "2"}]


# -- JSON, JSON Lines, text ------------------------------------------------------------------


async def test_json_list_of_objects_values_become_strings_as_written(tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_text(
        '[{"id": 1, "price": 19.990, "ok": true, "tags": ["a"]}, {"id": 2, "price": null}]'
    )
    assert await rows(path) == [
        {"id": "1", "price": "19.990", "ok": "True", "tags": '["a"]'},
        {"id": "2", "price": None, "ok": None, "tags": None},
    ]


async def test_json_object_with_a_records_key_or_a_records_path(tmp_path: Path) -> None:
    keyed = tmp_path / "keyed.json"
    keyed.write_text(json.dumps({"records": [{"id": "a"}], "total": 1}))
    assert await rows(keyed) == [{"id": "a"}]
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"result": {"items": [{"id": "b"}]}, "meta": []}))
    assert await rows(nested, records_path="result.items") == [{"id": "b"}]


async def test_json_with_fields_missing_from_some_records_warns_with_counts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ragged.json"
    path.write_text(json.dumps([{"id": 1, "email": "a@x"}, {"id": 2}, {"id": 3}]))
    out = await read(path)
    (warning,) = out["warnings"]
    assert warning["kind"] == "inconsistent_fields"
    assert warning["source"] == "ragged"
    assert warning["count"] == 2
    assert warning["fields"] == {"email": 2}


async def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"id": 1},\n  {"id": 2,}\n]')
    message = await error_of(path)
    assert message.startswith(f"broken: file {path}: line 3, column 12: invalid JSON")


async def test_truncated_json_says_it_ends_early(tmp_path: Path) -> None:
    path = tmp_path / "short.json"
    path.write_text('[\n  {"id": 1},\n  {"id": 2')
    message = await error_of(path)
    assert "short: " in message
    assert "line 3: the JSON ends before the document is complete" in message


async def test_a_json_record_that_is_not_an_object_is_named_by_its_index(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({"data": [{"id": 1}, {"id": 2}, "three"]}))
    message = await error_of(path)
    assert "mixed: " in message
    assert "data[2] is a string, not an object" in message


async def test_a_missing_records_path_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps({"result": {"rows": []}}))
    message = await error_of(path, records_path="result.items")
    assert "no 'items' at result (its keys: 'rows')" in message


async def test_jsonl_reads_in_batches_and_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(f'{{"n": {i}}}\n' + ("\n" if i % 7 == 0 else "") for i in range(100)))
    records = await rows(path, batch_bytes=50)
    assert [r["n"] for r in records] == [str(i) for i in range(100)]


async def test_a_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"n": 1}\n\n{"n": 2\n{"n": 3}\n')
    message = await error_of(path)
    assert message.startswith(f"events: file {path}: line 3: the JSON ends before")
    path.write_text('{"n": 1}\n[1, 2]\n')
    assert "line 2 is a list, not an object" in await error_of(path)


async def test_text_files_give_one_record_per_non_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("first\r\n\nthird\n")
    assert await rows(path) == [
        {"line": "1", "text": "first"},
        {"line": "3", "text": "third"},
    ]
