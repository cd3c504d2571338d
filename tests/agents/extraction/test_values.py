"""Records become all-string columns: each value as ``to_text`` gives it, a missing field
null, the fields in first-seen order, and the field statistics counted exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.extraction._values import frame_from_objects, to_text


class Count(int):
    """An int subclass: not one of the plain types, still printed by ``str``."""


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.decimals(allow_nan=False),
    st.dates(),
    st.datetimes(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.integers().map(Count),
)


@settings(max_examples=300)
@given(st.lists(st.dictionaries(st.sampled_from("abcde"), values), max_size=8))
def test_records_become_string_columns_value_by_value(records: list[dict[str, Any]]) -> None:
    frame, stats = frame_from_objects(records)
    fields = list(dict.fromkeys(key for record in records for key in record))
    assert frame.columns == fields
    assert frame.height == len(records)
    for record, row in zip(records, frame.iter_rows(named=True), strict=True):
        assert row == {f: None if record.get(f) is None else to_text(record[f]) for f in fields}
    assert stats.records == len(records)
    assert dict(stats.present) == {f: sum(f in r for r in records) for f in fields}
    assert sum(stats.sizes.values()) == len(records)
