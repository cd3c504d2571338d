"""The extractor's messages quote a bounded part of what they were given: the columns a
source lacks, the keys of a run input, an encoding's name. (The full lists stay in the
warnings' ``fields``.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from actorflow.agents.extraction import extract, parse_params
from actorflow.contracts import WorkflowValidationError

#: Wide enough that listing every column made a ~200 KB message, and (a list lookup per
#: column) took minutes at 100,000 columns.
COLUMNS = 20_000


async def test_a_source_lacking_thousands_of_columns_gets_a_short_warning(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    names = [f"c{i}" for i in range(COLUMNS)]
    wide.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n", "utf-8")
    narrow = [{"id": "1"}]
    started = time.perf_counter()

    out = await extract(
        {"sources": [{"type": "file", "name": "wide", "path": str(wide), "has_header": True},
                     {"type": "inline", "name": "narrow", "records": narrow}]}
    )  # fmt: skip

    elapsed = time.perf_counter() - started
    (lacking,) = [w for w in out["warnings"] if w["source"] == "narrow"]
    assert lacking["message"].endswith(
        "lack fields other sources have (left null): "
        f"c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, and {COLUMNS - 10:,} more"
    )
    assert len(lacking["message"]) < 200
    assert len(lacking["fields"]) == COLUMNS  # the data keeps every one
    assert elapsed < 60, elapsed


async def test_a_missing_input_key_lists_some_of_the_keys() -> None:
    run_input = {"records": [{"id": 1}]} | {f"key{i}": [] for i in range(1000)}
    out = await extract({"input_keys": ["records", "k" * 10_000]}, run_input)
    (error,) = out["errors"]
    assert error["message"].startswith("the run input has no 'kkk")
    assert "(9,920 more characters) (its keys: 'records', 'key0', 'key1'" in error["message"]
    assert error["message"].endswith(", and 991 more)")
    assert len(error["message"]) < 400


def test_an_unknown_encoding_is_quoted_in_part() -> None:
    source = {"type": "file", "path": "sales.csv", "encoding": "x" * 100_000}
    with pytest.raises(WorkflowValidationError) as refused:
        parse_params({"sources": [source]})
    assert "unknown encoding 'xxx" in str(refused.value)
    assert len(str(refused.value)) < 400
