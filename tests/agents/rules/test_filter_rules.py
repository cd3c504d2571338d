"""Filtering (required fields, revenue range), duplicates, and the validation rules."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import (
    MONEY_DTYPE,
    RuleViolation,
    ValidationRules,
    check_range,
    check_required,
    dedupe,
    is_duplicate,
    is_duplicate_expr,
    missing_required_expr,
    out_of_range_expr,
    range_reason_expr,
    required_reason_expr,
)

FIELDS = ("podcast_name", "date", "source")
maybe_text = st.none() | st.sampled_from(("", " ", "x", "0"))
records = st.fixed_dictionaries(dict.fromkeys(FIELDS, maybe_text))
bounds = (
    st.none()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000)
    | st.sampled_from((Decimal("1E+40"), Decimal("-1E+40"), Decimal("0.01"), Decimal("1E+5")))
)
cents = st.integers(-200_000, 200_000) | st.integers(-(10**38) + 1, 10**38 - 1)


def _scalar_reason(check: object, *args: object, **kwargs: object) -> str | None:
    try:
        check(*args, **kwargs)  # type: ignore[operator]
    except RuleViolation as violation:
        return violation.reason
    return None


@settings(deadline=None)
@given(st.lists(records, max_size=30), st.permutations(FIELDS).map(lambda p: p[:2]))
def test_vectorized_required_check_agrees_with_scalar_spec(
    rows: list[dict[str, str | None]], required: tuple[str, ...]
) -> None:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(FIELDS, pl.String))
    got = frame.select(required_reason_expr(required, frame.schema)).to_series().to_list()
    assert got == [_scalar_reason(check_required, row, required) for row in rows]
    flags = frame.select(missing_required_expr(required, frame.schema)).to_series().to_list()
    assert flags == [reason is not None for reason in got]


def test_a_required_field_the_table_lacks_is_missing_on_every_row() -> None:
    frame = pl.DataFrame({"a": ["x", "y"]})
    reasons = frame.select(required_reason_expr(["a", "nope"], frame.schema)).to_series()
    assert reasons.to_list() == ["missing required field 'nope'"] * 2
    assert _scalar_reason(check_required, {"a": "x"}, ["a", "nope"]) == (
        "missing required field 'nope'"
    )


def test_a_non_string_required_field_is_missing_only_when_null() -> None:
    frame = pl.DataFrame({"n": pl.Series([0, None], dtype=pl.Int64)})
    reasons = frame.select(required_reason_expr(["n"], frame.schema)).to_series().to_list()
    assert reasons == [None, "missing required field 'n'"]


@settings(deadline=None)
@given(st.lists(cents, max_size=30), bounds, bounds)
def test_vectorized_range_check_agrees_with_scalar_spec(
    values: list[int], low: Decimal | None, high: Decimal | None
) -> None:
    revenue = [Decimal(f"{c}E-2") for c in values]
    frame = pl.DataFrame({"revenue": pl.Series(revenue, dtype=MONEY_DTYPE)})
    expr = range_reason_expr(pl.col("revenue"), min_revenue=low, max_revenue=high)
    got = frame.select(expr).to_series().to_list()
    expected = [_scalar_reason(check_range, r, min_revenue=low, max_revenue=high) for r in revenue]
    assert got == expected
    flag = out_of_range_expr(pl.col("revenue"), min_revenue=low, max_revenue=high)
    assert frame.select(flag).to_series().to_list() == [r is not None for r in expected]


@pytest.mark.parametrize(
    ("revenue", "reason"),
    [
        ("0.00", "revenue 0.00 below min_revenue 0.01"),
        ("0.01", None),
        ("100000.00", None),
        ("100000.01", "revenue 100000.01 above max_revenue 100000"),
        ("-5.00", "revenue -5.00 below min_revenue 0.01"),
    ],
)
def test_default_range_keeps_one_cent_to_one_hundred_thousand(
    revenue: str, reason: str | None
) -> None:
    rules = ValidationRules()
    assert (
        _scalar_reason(
            check_range,
            Decimal(revenue),
            min_revenue=rules.min_revenue,
            max_revenue=rules.max_revenue,
        )
        == reason
    )


def test_range_bounds_with_more_places_compare_exactly() -> None:
    money = [Decimal("0.01"), Decimal("0.02")]
    frame = pl.DataFrame({"revenue": pl.Series(money, dtype=MONEY_DTYPE)})
    expr = range_reason_expr(pl.col("revenue"), min_revenue=Decimal("0.015"), max_revenue=None)
    assert frame.select(expr).to_series().to_list() == [
        "revenue 0.01 below min_revenue 0.015",
        None,
    ]


ids = st.none() | st.sampled_from(("", "a", "b", " a", "A"))


@settings(deadline=None)
@given(st.lists(st.tuples(ids, st.booleans()), max_size=40))
def test_dedupe_keeps_the_first_valid_occurrence(rows: list[tuple[str | None, bool]]) -> None:
    frame = pl.DataFrame(
        {"id": [i for i, _ in rows], "ok": [ok for _, ok in rows]},
        schema={"id": pl.String, "ok": pl.Boolean},
    )
    got = frame.select(is_duplicate_expr(pl.col("id"), pl.col("ok"))).to_series().to_list()
    seen: set[str] = set()
    expected = [ok and is_duplicate(i, seen) for i, ok in rows]
    assert got == expected
    first_valid: dict[str, int] = {}
    for index, (record_id, ok) in enumerate(rows):
        if ok and record_id:
            first_valid.setdefault(record_id, index)
    for index, (record_id, ok) in enumerate(rows):
        duplicate = bool(ok and record_id and first_valid[record_id] != index)
        assert got[index] == duplicate


def test_dedupe_splits_first_occurrences_from_later_ones_and_never_drops_empty_ids() -> None:
    rows: list[dict[str, str | None]] = [{"id": i} for i in ("a", None, "a", "", "", "b")]
    kept, duplicates = dedupe(rows)
    assert kept == [{"id": "a"}, {"id": None}, {"id": ""}, {"id": ""}, {"id": "b"}]
    assert duplicates == [{"id": "a"}]


def test_validation_rules_from_a_run_input_convert_numbers_exactly() -> None:
    rules = ValidationRules.from_mapping(
        {"min_revenue": 0.1, "max_revenue": "250000.50", "required_fields": ["id"]}
    )
    assert rules.min_revenue == Decimal("0.1")
    assert str(rules.min_revenue) == "0.1"  # not 0.1000000000000000055511151231257827
    assert rules.max_revenue == Decimal("250000.50")
    assert rules.required_fields == ("id",)
    assert ValidationRules.from_mapping({"min_revenue": None}).min_revenue is None
    assert ValidationRules.from_mapping(None) == ValidationRules()


@pytest.mark.parametrize(
    "bad",
    [
        {"min_revenue": "lots"},
        {"max_revenue": float("inf")},
        {"max_revenue": True},
        {"required_fields": "podcast_name"},
        {"min_revnue": 1},
    ],
)
def test_invalid_validation_rules_are_refused_with_a_message(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        ValidationRules.from_mapping(bad)


def test_validation_rules_refuse_floats_given_directly() -> None:
    with pytest.raises(ValueError, match="from_mapping"):
        ValidationRules(min_revenue=0.01)  # type: ignore[arg-type]
