"""Params checking, inline sources from the run input, consolidation and validation."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from actorflow.agents.extraction import FileSource, extract, parse_params
from actorflow.contracts import (
    DataValidationError,
    Records,
    SourceError,
    WorkflowValidationError,
    freeze,
)

# -- params -----------------------------------------------------------------------------------


def test_a_bad_setting_names_the_source_and_the_field() -> None:
    with pytest.raises(WorkflowValidationError) as caught:
        parse_params(
            {
                "sources": [
                    {"type": "file", "path": "a.csv"},
                    {"type": "api", "name": "crm", "url": "http://x", "timeout_s": "fast"},
                    {"type": "ftp", "name": "old"},
                    {"type": "database", "path": "x.db"},
                    {"type": "file", "pth": "typo.csv"},
                ]
            },
            stage="extract",
        )
    lines = str(caught.value).splitlines()[1:]
    assert lines == [
        "  - source 'crm', stage 'extract', field 'params.sources[1].timeout_s': "
        "Expected `float`, got `str`",
        "  - source 'old', stage 'extract', field 'params.sources[2].type': Invalid value 'ftp'",
        "  - source #3, stage 'extract', field 'params.sources[3]': "
        "Object missing required field `query`",
        "  - source #4, stage 'extract', field 'params.sources[4]': "
        "Object contains unknown field `pth`",
    ]


def test_source_names_must_be_unique_and_unknown_params_are_refused() -> None:
    with pytest.raises(WorkflowValidationError) as caught:
        parse_params(
            {
                "sources": [
                    {"type": "inline", "name": "a", "records": []},
                    {"type": "inline", "name": "a", "input_key": "x"},
                ],
                "required": ["id"],
            }
        )
    text = str(caught.value)
    assert "field 'params.sources[1].name': the same name as params.sources[0]" in text
    assert "Object contains unknown field `required`" in text


def test_frozen_params_parse_into_typed_sources() -> None:
    settings = parse_params(freeze({"sources": [{"type": "file", "path": "a.csv"}]}))
    assert settings.sources == [FileSource(path="a.csv")]
    assert settings.source_column == "source"


# -- inline sources ---------------------------------------------------------------------------


async def test_each_list_of_records_in_the_run_input_is_a_source_named_by_its_key() -> None:
    run_input = freeze(
        {
            "customers": [{"id": 1, "name": "ann"}],
            "campaigns": [{"id": "c1", "budget": 100.5}, {"id": "c2", "budget": None}],
            "period": "2024-Q1",
            "tags": ["not", "records"],
        }
    )
    out = await extract({}, run_input)
    assert out["counts"] == {"customers": 1, "campaigns": 2}
    assert out["records"].to_dicts() == [
        {"source": "customers", "id": "1", "name": "ann", "budget": None},
        {"source": "campaigns", "id": "c1", "name": None, "budget": "100.5"},
        {"source": "campaigns", "id": "c2", "name": None, "budget": None},
    ]
    assert [s["input_key"] for s in out["sources"]] == ["customers", "campaigns"]


async def test_input_keys_choose_the_inline_sources_and_a_missing_one_fails_alone() -> None:
    out = await extract(
        {"input_keys": ["records", "absent"]},
        {"records": [{"id": 1}], "other": [{"id": 2}]},
    )
    assert out["counts"] == {"records": 1}
    (error,) = out["errors"]
    assert error["source"] == "absent"
    assert error["message"] == "the run input has no 'absent' (its keys: 'records', 'other')"


async def test_inline_records_in_params_and_records_values_in_the_input() -> None:
    frame = pl.DataFrame({"id": [1, 2], "ok": [True, None], "price": [1.5, 2.0]})
    out = await extract(
        {"sources": [{"type": "inline", "name": "fixed", "records": [{"id": "x"}]}]},
        {"table": Records(frame)},
    )
    assert out["records"].to_dicts() == [
        {"source": "fixed", "id": "x", "ok": None, "price": None},
        {"source": "table", "id": "1", "ok": "True", "price": "1.5"},
        {"source": "table", "id": "2", "ok": None, "price": "2.0"},
    ]


async def test_an_inline_record_that_is_not_an_object_is_named_by_key_and_index() -> None:
    with pytest.raises(SourceError) as caught:
        await extract({"input_keys": ["customers"]}, {"customers": [{"id": 1}, {"id": 2}, 3]})
    assert str(caught.value) == (
        "customers: customers[2] is a number, not an object "
        "(a record must be an object of field names to values)"
    )


# -- consolidation and validation --------------------------------------------------------------


async def test_a_source_field_in_the_data_is_kept_when_it_disagrees(tmp_path: Path) -> None:
    agrees = tmp_path / "audiomax.csv"
    agrees.write_text("id,source\n1,audiomax\n")
    disagrees = tmp_path / "ads.csv"
    disagrees.write_text("id,source\n2,newsletter\n")
    out = await extract(
        {"sources": [{"type": "file", "path": str(p)} for p in (agrees, disagrees)]}
    )
    assert out["records"].to_dicts() == [
        {"source": "audiomax", "id": "1", "source_original": None},
        {"source": "ads", "id": "2", "source_original": "newsletter"},
    ]
    (renamed,) = [w for w in out["warnings"] if w["kind"] == "renamed_columns"]
    assert renamed["source"] == "ads"
    assert "kept as 'source_original'" in renamed["message"]


async def test_missing_required_fields_are_counted_per_source() -> None:
    out = await extract(
        {"required_fields": ["id", "email"]},
        {
            "crm": [{"id": 1, "email": "a@x"}, {"id": 2, "email": " "}, {"id": None}],
            "shop": [{"id": 9, "email": "b@x"}],
        },
    )
    required = [w for w in out["warnings"] if w["kind"] == "missing_required_fields"]
    assert required == [
        {
            "kind": "missing_required_fields",
            "source": "crm",
            "message": "2 of 3 records of 'crm' miss required fields: id (1), email (2)",
            "count": 2,
            "fields": {"id": 1, "email": 2},
        }
    ]


async def test_fields_missing_from_one_source_are_null_and_warned_about() -> None:
    out = await extract({}, {"a": [{"id": 1, "email": "x"}], "b": [{"id": 2}, {"id": 3}]})
    assert out["records"].to_dicts()[1] == {"source": "b", "id": "2", "email": None}
    (warning,) = out["warnings"]
    assert warning["kind"] == "inconsistent_fields"
    assert warning["source"] == "b"
    assert warning["count"] == 2
    assert warning["fields"] == {"email": 2}


async def test_an_empty_result_fails_with_a_data_validation_error_naming_the_sources(
    tmp_path: Path,
) -> None:
    header_only = tmp_path / "orders.csv"
    header_only.write_text("id,amount\n")
    with pytest.raises(DataValidationError) as caught:
        await extract({"sources": [{"type": "file", "path": str(header_only)}]}, {"extra": []})
    assert str(caught.value) == "no records: every source was empty (orders, extra)"


async def test_no_sources_at_all_is_a_data_validation_error() -> None:
    with pytest.raises(DataValidationError, match="no sources"):
        await extract({}, {"period": "2024"})


async def test_when_every_source_fails_the_error_names_each(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(SourceError) as caught:
        await extract(
            {
                "sources": [
                    {"type": "file", "path": str(tmp_path / "gone.csv")},
                    {"type": "file", "path": str(bad)},
                ]
            }
        )
    assert str(caught.value) == (
        "gone, bad: all 2 sources failed:\n"
        f"  - gone (file): file {tmp_path / 'gone.csv'}: file not found\n"
        f"  - bad (file): file {bad}: line 1: the JSON ends before the document is complete "
        "(is it truncated?)"
    )
    assert caught.value.retryable is False


async def test_sources_without_names_get_unique_ones(tmp_path: Path) -> None:
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "data.csv").write_text("id\n1\n")
    out = await extract(
        {"sources": [{"type": "file", "path": str(tmp_path / f / "data.csv")} for f in "xy"]}
    )
    assert out["counts"] == {"data": 1, "data-2": 1}
