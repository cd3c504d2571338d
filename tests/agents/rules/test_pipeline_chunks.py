"""The pipeline on tables as readers hand them over: in uneven chunks, with constant columns."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import Rule, run_pipeline
from actorflow.testing import messy_records

COLUMNS = ("id", "podcast_name", "revenue", "impressions", "date", "currency", "source")


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String))


def _in_chunks(frame: pl.DataFrame, sizes: list[int]) -> pl.DataFrame:
    """The same rows in uneven chunks, as a CSV reader returns them."""
    parts, start = [], 0
    for size in sizes:
        if start < frame.height:
            parts.append(frame.slice(start, size))
            start += size
    parts.append(frame.slice(start))
    return pl.concat(parts, rechunk=False)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(messy_records(), min_size=1, max_size=40),
    st.lists(st.integers(1, 9), min_size=1, max_size=6),
)
def test_a_table_in_uneven_chunks_gives_what_it_gives_in_one(
    rows: list[dict[str, Any]], sizes: list[int]
) -> None:
    whole = run_pipeline(_frame(rows))
    chunked = run_pipeline(_in_chunks(_frame(rows), sizes))
    assert repr(chunked.records.to_dicts()) == repr(whole.records.to_dicts())
    assert chunked.rejects.to_dicts() == whole.rejects.to_dicts()
    assert chunked.stats == whole.stats
    # One chunk per column: a table chunked unevenly is rechunked by every operation.
    assert set(chunked.records.n_chunks("all")) <= {1}
    assert set(chunked.rejects.n_chunks("all")) <= {1}


def test_a_column_of_one_repeated_value_passes_through_to_records_and_rejects() -> None:
    rows = [
        {"id": "1", "podcast_name": "a", "revenue": "5", "date": "2024-01-05"},
        {"id": "2", "podcast_name": "b", "revenue": "N/A", "date": "2024-01-06"},
        {"id": "3", "podcast_name": "c", "revenue": "7", "date": "2024-01-07"},
    ]
    # What the extractor gives: its source column is one literal, however many rows.
    frame = pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)).select(
        pl.lit("crm", dtype=pl.String).alias("origin"), pl.all()
    )
    records, rejects, _ = run_pipeline(_in_chunks(frame, [1, 1]))
    assert records.select("id", "origin").rows() == [("1", "crm"), ("3", "crm")]
    assert rejects.select("id", "origin", "rule").rows() == [("2", "crm", "money")]


def test_each_record_a_user_filter_rejects_gets_its_reason() -> None:
    rows = [
        {"id": str(n), "podcast_name": "p", "revenue": revenue, "date": "2024-01-05"}
        for n, revenue in enumerate(["5", "500", "N/A", "600", "7", "700"])
    ]
    cheap = Rule.filter(
        "cheap",
        # A filter sees every record, the money rejects too (with a null revenue).
        scalar=lambda r: r["revenue"] is not None and r["revenue"] < 100,
        reason="too dear",
    )
    records, rejects, stats = run_pipeline(
        pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String)), rules=[cheap]
    )
    assert records["id"].to_list() == ["0", "4"]
    assert rejects.select("id", "rule", "reason").rows() == [
        ("1", "cheap", "too dear"),
        ("2", "money", "revenue: cannot parse 'N/A'"),
        ("3", "cheap", "too dear"),
        ("5", "cheap", "too dear"),
    ]
    assert stats.rejected["cheap"] == 3
