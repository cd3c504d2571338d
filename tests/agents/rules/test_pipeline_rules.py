"""The whole pipeline: the vectorized run agrees with the scalar spec, record for record."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import (
    MONEY_DTYPE,
    FieldRoles,
    PipelineStats,
    Rule,
    ValidationRules,
    run_pipeline,
    run_pipeline_scalar,
)
from actorflow.testing import messy_records

COLUMNS = ("id", "podcast_name", "revenue", "impressions", "date", "currency", "source")
SPEC_OUTPUT = (
    "id",
    "podcast_name",
    "revenue",
    "impressions",
    "rpm",
    "date",
    "month_year",
    "currency",
    "source",
)


def _frame(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String))


def _assert_same_run(
    rows: list[dict[str, Any]], frame: pl.DataFrame, slice_rows: int = 1_000_000, **options: Any
) -> None:
    fast = run_pipeline(frame, slice_rows=slice_rows, **options)
    spec = run_pipeline_scalar(rows, columns=frame.columns, **options)
    # repr() compares Decimals digit for digit (1.5 == 1.50, but not as CSV)
    assert repr(fast.records.to_dicts()) == repr(spec.records)
    assert fast.rejects.to_dicts() == spec.rejects
    assert fast.stats == spec.stats


@settings(deadline=None, max_examples=150)
@given(st.lists(messy_records(), max_size=40))
def test_vectorized_pipeline_agrees_with_scalar_spec(rows: list[dict[str, Any]]) -> None:
    _assert_same_run(rows, _frame(rows))


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=12), st.integers(2, 6))
def test_vectorized_pipeline_agrees_on_heavily_repeated_values(
    rows: list[dict[str, Any]], copies: int
) -> None:
    rows = rows * copies
    _assert_same_run(rows, _frame(rows))


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=40))
def test_every_record_is_either_kept_or_rejected_never_dropped(
    rows: list[dict[str, Any]],
) -> None:
    records, rejects, stats = run_pipeline(_frame(rows))
    assert records.height + rejects.height == len(rows) == stats.input_count
    assert stats.output_count == records.height
    assert stats.rejected == {
        rule: rejects.filter(pl.col("rule") == rule).height for rule in stats.rejected
    }
    assert rejects["reason"].null_count() == 0


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=40))
def test_rejects_carry_the_original_values_in_input_order(rows: list[dict[str, Any]]) -> None:
    _, rejects, _ = run_pipeline(_frame(rows))
    originals = iter(rows)
    for reject in rejects.drop("rule", "reason").to_dicts():
        assert any(reject == row for row in originals)  # a subsequence of the input


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=40))
def test_kept_records_satisfy_every_filter(rows: list[dict[str, Any]]) -> None:
    records, _, _ = run_pipeline(_frame(rows))
    assert records.columns == list(SPEC_OUTPUT)
    assert records.schema["revenue"] == MONEY_DTYPE
    assert records.schema["rpm"] == MONEY_DTYPE
    for record in records.to_dicts():
        assert Decimal("0.01") <= record["revenue"] <= Decimal(100000)
        assert record["podcast_name"] and record["date"]
    ids = [r["id"] for r in records.to_dicts() if r["id"]]
    assert len(ids) == len(set(ids))


def _adds_combining_marks(name: str | None) -> bool:
    # str.title() is not idempotent where case mapping adds an uncased mark ("İ" -> "i̇").
    text = name or ""
    mapped = text.lower() + text.title() + text.upper()
    return any(unicodedata.category(c).startswith("M") for c in mapped if c not in text)


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=30))
def test_the_pipeline_is_idempotent_on_its_own_output(rows: list[dict[str, Any]]) -> None:
    assume(not any(_adds_combining_marks(row["podcast_name"]) for row in rows))
    records, _, _ = run_pipeline(_frame(rows))
    as_read = records.drop("rpm", "month_year").cast(pl.String)  # what a CSV reader sees
    again, rejects, _ = run_pipeline(as_read)
    assert rejects.height == 0
    assert again.equals(records)


def test_dedupe_keeps_the_first_record_that_passed_money_cleaning() -> None:
    base = {
        "podcast_name": "p",
        "impressions": "10",
        "date": "2024-01-05",
        "currency": None,
        "source": None,
    }
    rows = [
        {**base, "id": "a", "revenue": "N/A"},  # money reject: does not claim the id
        {**base, "id": "a", "revenue": "0"},  # first valid: kept by dedupe, then range reject
        {**base, "id": "a", "revenue": "5"},  # a duplicate of the range reject
        {**base, "id": "", "revenue": "5"},
        {**base, "id": "", "revenue": "6"},  # empty ids are never duplicates
    ]
    records, rejects, stats = run_pipeline(_frame(rows))
    assert rejects.select("rule", "reason").rows() == [
        ("money", "revenue: cannot parse 'N/A'"),
        ("range", "revenue 0.00 below min_revenue 0.01"),
        ("duplicate", "duplicate id 'a'"),
    ]
    assert records["revenue"].cast(pl.String).to_list() == ["5.00", "6.00"]
    assert dict(stats.rejected) == {"money": 1, "duplicate": 1, "required": 0, "range": 1}


def test_a_record_is_rejected_once_for_the_first_rule_it_breaks() -> None:
    row = {
        "id": "x",
        "podcast_name": " ",
        "revenue": "-1",
        "impressions": None,
        "date": None,
        "currency": None,
        "source": None,
    }
    _, rejects, _ = run_pipeline(_frame([row]))
    assert rejects.select("rule", "reason").rows() == [
        ("required", "missing required field 'podcast_name'")
    ]


def test_stats_count_warnings_and_measure_quality() -> None:
    rows = [
        {
            "id": "1",
            "podcast_name": "a",
            "revenue": "10",
            "impressions": "1,000",
            "date": "2024-01-05",
            "currency": "usd",
            "source": "s",
        },
        {
            "id": "2",
            "podcast_name": "a",
            "revenue": "10",
            "impressions": "lots",
            "date": "yesterday",
            "currency": "usd",
            "source": "s",
        },
        {
            "id": "3",
            "podcast_name": "a",
            "revenue": "N/A",
            "impressions": "lots",
            "date": "yesterday",
            "currency": "usd",
            "source": "s",
        },
    ]
    records, _, stats = run_pipeline(_frame(rows))
    assert dict(stats.warnings) == {"date: unparseable": 1, "impressions: not an integer": 1}
    assert records["date"].to_list() == ["2024-01-05", "yesterday"]  # kept as it was
    assert records["month_year"].to_list() == ["2024-01", None]
    assert stats.retention_rate == pytest.approx(2 / 3)
    assert stats.quality_score == pytest.approx(1 / 3)
    assert stats.as_dict()["reject_count"] == 1


def test_money_prints_with_two_decimals_and_null_as_an_empty_field_in_csv() -> None:
    row = {
        "id": "1",
        "podcast_name": "a",
        "revenue": "$5",
        "impressions": None,
        "date": "1/5/2024",
        "currency": None,
        "source": None,
    }
    records, _, _ = run_pipeline(_frame([row]))
    assert records.write_csv().splitlines() == [
        ",".join(SPEC_OUTPUT),
        "1,A,5.00,,,2024-01-05,2024-01,,",
    ]


def test_field_roles_and_validation_rules_are_configurable() -> None:
    columns = ("ref", "name", "podcast_name", "revenue", "fee_amount", "ship_date", "date")
    rows: list[dict[str, Any]] = [
        {
            "ref": "r1",
            "name": " ann  lee ",
            "podcast_name": "p",
            "revenue": "50",
            "fee_amount": "$1.005",
            "ship_date": "2/3/2024",
            "date": "2024-01-05",
        },
        {
            "ref": "r1",
            "name": "bo",
            "podcast_name": "p",
            "revenue": "60",
            "fee_amount": "1",
            "ship_date": "x",
            "date": "2024-01-05",
        },
        {
            "ref": "r2",
            "name": "cy",
            "podcast_name": "p",
            "revenue": "70",
            "fee_amount": None,
            "ship_date": "x",
            "date": "2024-01-05",
        },
    ]
    options: dict[str, Any] = {
        "roles": FieldRoles(id="ref"),
        "validation": ValidationRules(
            min_revenue=Decimal(40), max_revenue=None, required_fields=("name",)
        ),
    }
    _assert_same_run(rows, _frame(rows, columns), **options)
    records, rejects, _ = run_pipeline(_frame(rows, columns), **options)
    assert records.select("ref", "name", "fee_amount", "ship_date").rows() == [
        ("r1", "Ann Lee", Decimal("1.00"), "2024-02-03")
    ]
    assert rejects["reason"].to_list() == ["duplicate id 'r1'", "fee_amount: missing"]


@st.composite
def _user_rules(draw: st.DrawFn) -> list[Rule]:
    catalogue = [
        Rule.transform(
            "trim_source",
            field="source",
            scalar=lambda v: None if v is None else v.strip(),
            vectorized=lambda e: e.str.strip_chars(),
        ),
        Rule.calculated(
            "net",
            scalar=lambda r: r["revenue"] - Decimal("0.50"),
            vectorized=pl.col("revenue") - Decimal("0.50"),
        ),
        Rule.calculated(
            "is_big", field="revenue", scalar=lambda v: v >= 100, vectorized=lambda e: e >= 100
        ),
        Rule.filter(
            "has_impressions",
            scalar=lambda r: r["impressions"] is not None,
            vectorized=pl.col("impressions").is_not_null(),
            reason="no impressions",
        ),
        Rule.filter(
            "usd_only",
            field="currency",
            scalar=lambda v: v == "USD",
            vectorized=lambda e: e == "USD",
        ),
    ]
    return draw(st.lists(st.sampled_from(catalogue), unique_by=lambda r: r.name))


@settings(deadline=None)
@given(st.lists(messy_records(), max_size=30), _user_rules())
def test_user_rules_run_the_same_in_both_pipelines(
    rows: list[dict[str, Any]], rules: list[Rule]
) -> None:
    _assert_same_run(rows, _frame(rows), rules=rules)


@settings(deadline=None)
@given(
    st.lists(messy_records(), min_size=2, max_size=12),
    st.integers(2, 4),
    st.data(),
    _user_rules(),
)
def test_a_table_processed_in_slices_agrees_with_the_scalar_spec(
    rows: list[dict[str, Any]], copies: int, data: st.DataObject, rules: list[Rule]
) -> None:
    # Repeated rows put duplicates of an id in other slices than its first valid record.
    rows = rows * copies
    slice_rows = data.draw(st.integers(1, len(rows) - 1), label="slice_rows")
    _assert_same_run(rows, _frame(rows), rules=rules, slice_rows=slice_rows)


def test_slice_rows_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="slice_rows must be at least 1, got 0"):
        run_pipeline(_frame([]), slice_rows=0)


def test_scalar_only_user_rules_still_run_in_the_vectorized_pipeline() -> None:
    rows = [
        {
            "id": "1",
            "podcast_name": "a",
            "revenue": "150",
            "impressions": "3",
            "date": "2024-01-05",
            "currency": None,
            "source": None,
        }
    ]
    rules = [
        Rule.calculated("double", scalar=lambda r: r["revenue"] * 2, dtype=MONEY_DTYPE),
        Rule.filter("cheap", scalar=lambda r: r["revenue"] < 100, reason="too dear"),
    ]
    records, rejects, stats = run_pipeline(_frame(rows), rules=rules)
    assert records.height == 0
    assert rejects.select("rule", "reason").rows() == [("cheap", "too dear")]
    assert stats.rejected["cheap"] == 1


def test_empty_input_gives_empty_outputs_and_perfect_scores() -> None:
    records, rejects, stats = run_pipeline(_frame([]))
    assert (records.height, rejects.height) == (0, 0)
    assert records.columns == list(SPEC_OUTPUT)
    assert (stats.retention_rate, stats.quality_score) == (1.0, 1.0)


def test_missing_columns_read_as_null() -> None:
    frame = pl.DataFrame({"revenue": ["5"], "podcast_name": ["p"], "date": ["2024-01-05"]})
    records, _, _ = run_pipeline(frame)
    assert records.columns == list(SPEC_OUTPUT)
    assert records.row(0) == (
        None,
        "P",
        Decimal("5.00"),
        None,
        None,
        "2024-01-05",
        "2024-01",
        None,
        None,
    )


def test_field_roles_must_name_a_money_revenue_and_a_date_field() -> None:
    with pytest.raises(ValueError, match="money fields"):
        FieldRoles(revenue="amount")
    with pytest.raises(ValueError, match="dates"):
        FieldRoles(date="day")
    assert FieldRoles(money=("amount",), revenue="amount").money_fields(["x_amount"]) == (
        "amount",
        "x_amount",
    )


def test_all_null_columns_read_as_null_strings() -> None:
    frame = pl.DataFrame(
        {"id": [None], "podcast_name": ["a"], "revenue": ["5"], "date": ["1/2/2024"],
         "currency": [None], "impressions": [None]}
    )  # fmt: skip
    assert frame.schema["currency"] == pl.Null
    records, _, _ = run_pipeline(frame)
    assert records.schema["id"] == records.schema["currency"] == pl.String
    assert records.row(0)[:3] == (None, "A", Decimal("5.00"))


def test_non_string_rule_columns_are_refused_with_advice() -> None:
    with pytest.raises(TypeError, match="infer_schema=False"):
        run_pipeline(pl.DataFrame({"revenue": [5]}))


@pytest.mark.parametrize(
    "rules",
    [
        [Rule.filter("money", scalar=bool)],
        [Rule.calculated("x", scalar=str), Rule.calculated("x", scalar=repr)],
    ],
)
def test_user_rule_names_must_be_unique_and_not_built_in(rules: list[Rule]) -> None:
    with pytest.raises(ValueError, match="unique"):
        run_pipeline(_frame([]), rules=rules)


def test_stats_refuse_counts_that_do_not_add_up() -> None:
    with pytest.raises(ValueError, match="conservation"):
        PipelineStats(
            input_count=3, output_count=1, rejected={"money": 1}, warnings={}, clean_count=1
        )


def test_a_table_of_over_100k_rows_agrees_with_the_scalar_spec() -> None:
    # A table the size of a real batch, built from copies of one generated block, each
    # copy with its own ids, so the scalar spec only has to run on the block.
    block = _samples(messy_records())
    copies = 101_000 // len(block) + 1
    spec = run_pipeline_scalar(block, columns=COLUMNS)

    def tagged(row: dict[str, Any], copy: int) -> dict[str, Any]:
        return {**row, "id": f"{copy}-{row['id']}" if row["id"] else row["id"]}

    def reason(reject: dict[str, Any], copy: int) -> str:
        return (
            f"duplicate id '{copy}-{reject['id']}'"
            if reject["rule"] == "duplicate"
            else reject["reason"]
        )

    table = [tagged(row, copy) for copy in range(copies) for row in block]
    fast = run_pipeline(_frame(table))
    assert repr(fast.records.to_dicts()) == repr(
        [tagged(record, copy) for copy in range(copies) for record in spec.records]
    )
    assert fast.rejects.to_dicts() == [
        {**tagged(reject, copy), "reason": reason(reject, copy)}
        for copy in range(copies)
        for reject in spec.rejects
    ]
    assert fast.stats.input_count == len(table) > 100_000
    assert dict(fast.stats.warnings) == {k: v * copies for k, v in spec.stats.warnings.items()}
    assert fast.stats.clean_count == spec.stats.clean_count * copies


def _samples(strategy: st.SearchStrategy[Any]) -> list[Any]:
    """A few hundred values of a strategy, drawn the way hypothesis draws them."""
    found: list[Any] = []

    @settings(max_examples=300, database=None, deadline=None)
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found
