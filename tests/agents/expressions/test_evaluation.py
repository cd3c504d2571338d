"""Evaluation by example: the workflow calculations, exact decimals, nulls, zero divisors.

Each example runs both ways, compiled (polars) and scalar (row by row), and both must
give the known answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import polars as pl
import pytest

from actorflow.agents.expressions import (
    FieldType,
    check_expression,
    compile_expression,
    scalar_evaluator,
)

ADS: Mapping[str, FieldType] = {
    "clicks": FieldType("integer"),
    "impressions": FieldType("integer"),
    "spend": FieldType("money", 2),
    "revenue": FieldType("money", 2),
    "cost": FieldType("money", 2),
    "order_date": FieldType("date"),
    "amount": FieldType("decimal", 2),
    "score": FieldType("number"),
    "active": FieldType("boolean"),
    "name": FieldType("string"),
    "seen_at": FieldType("datetime"),
}
MONEY = pl.Decimal(38, 2)


def ads(**columns: list[Any]) -> pl.DataFrame:
    dtypes = {"spend": MONEY, "revenue": MONEY, "cost": MONEY, "amount": MONEY}
    return pl.DataFrame(columns, schema_overrides={k: v for k, v in dtypes.items() if k in columns})


def run(source: str, frame: pl.DataFrame, scale: int | None = None) -> tuple[list[Any], int]:
    """Values and division-by-zero count, checking compiled and scalar agree."""
    checked = check_expression(source, ADS, scale)
    outcome = frame.with_columns(compile_expression(checked).outcome.alias("o"))["o"]
    compiled = outcome.struct.unnest()
    evaluate = scalar_evaluator(checked)
    scalar = [evaluate(row) for row in frame.iter_rows(named=True)]
    assert compiled["value"].to_list() == [o.value for o in scalar]
    assert compiled["divided_by_zero"].to_list() == [o.divided_by_zero for o in scalar]
    return compiled["value"].to_list(), int(compiled["divided_by_zero"].sum())


def test_overall_ctr_is_270_clicks_over_18000_impressions() -> None:
    totals = ads(clicks=[270], impressions=[18000])
    assert run("clicks / impressions", totals, scale=4) == ([Decimal("0.0150")], 0)
    # At the default two places, 0.015 is a tie and goes to the even neighbour.
    assert run("clicks / impressions", totals) == ([Decimal("0.02")], 0)


def test_the_workflow_calculations_give_the_known_answers() -> None:
    frame = ads(
        clicks=[100, 170, 0],
        impressions=[8000, 10000, 0],
        spend=[Decimal("50.00"), Decimal("85.00"), Decimal("0.00")],
        revenue=[Decimal("120.00"), Decimal("200.00"), Decimal("5.00")],
        cost=[Decimal("80.50"), Decimal("210.00"), None],
        order_date=[date(2026, 1, 31), date(2025, 12, 1), None],
        amount=[Decimal("1000.01"), Decimal("1000.00"), Decimal("5.00")],
    )
    assert run("clicks / impressions", frame, scale=4) == (
        [Decimal("0.0125"), Decimal("0.0170"), None],
        1,
    )
    assert run("spend / clicks", frame) == ([Decimal("0.50"), Decimal("0.50"), None], 1)
    assert run("revenue / impressions * 1000", frame) == (
        [Decimal("15.00"), Decimal("20.00"), None],
        1,
    )
    assert run("revenue - cost", frame) == ([Decimal("39.50"), Decimal("-10.00"), None], 0)
    assert run("month(order_date)", frame) == ([1, 12, None], 0)
    assert run("year_month(order_date)", frame) == (["2026-01", "2025-12", None], 0)
    assert run("if(amount > 1000, 'big', 'small')", frame) == (["big", "small", "small"], 0)


def test_decimal_division_rounds_once_at_the_end_half_even() -> None:
    # polars' own Decimal would round 1.00 / 3 to 0.33 before multiplying: 330.00.
    frame = ads(revenue=[Decimal("1.00"), Decimal("0.25"), Decimal("-0.25"), Decimal("0.27")],
                impressions=[3, 2, 2, 2])  # fmt: skip
    values, _ = run("revenue / impressions * 1000", frame)
    assert values == [Decimal("333.33"), Decimal("125.00"), Decimal("-125.00"), Decimal("135.00")]
    ties, _ = run("revenue / impressions", frame)
    assert ties == [Decimal("0.33"), Decimal("0.12"), Decimal("-0.12"), Decimal("0.14")]


def test_round_is_half_even_and_integer_division_is_a_decimal() -> None:
    frame = ads(amount=[Decimal("2.50"), Decimal("3.50"), Decimal("-2.50")], clicks=[7, 7, 7])
    assert run("round(amount, 0)", frame, scale=0)[0] == [Decimal(2), Decimal(4), Decimal(-2)]
    assert run("clicks / 2", frame, scale=1)[0] == [Decimal("3.5")] * 3


def test_integer_arithmetic_stays_integer_and_overflow_becomes_null() -> None:
    frame = ads(clicks=[2**62, 3], impressions=[4, -5])
    checked = check_expression("clicks * impressions", ADS)
    outcome = frame.select(compile_expression(checked).outcome.alias("o")).to_series()
    assert outcome.struct.field("value").to_list() == [None, -15]
    assert outcome.struct.field("overflowed").to_list() == [True, False]
    assert [scalar_evaluator(checked)(row).overflowed for row in frame.iter_rows(named=True)] == [
        True,
        False,
    ]


def test_values_near_the_int128_limit_are_still_exact() -> None:
    huge = Decimal("9" * 36 + ".99")
    frame = ads(revenue=[huge, Decimal("1.00")], impressions=[7, 3])
    # revenue * 1000 passes 2**125 in Int128 units: that row is recomputed exactly.
    values, _ = run("revenue * 1000 / impressions / 1000", frame)
    cents = round(Fraction(huge) / 7 * 100)
    assert values == [Decimal(f"{cents}E-2"), Decimal("0.33")]


@pytest.mark.parametrize(
    ("source", "scale"),
    [
        ("99999999999999999999 * 99999999999999999999 * 99999999999999999999", 0),
        ("99999999999999999999 * 99999999999999999999 / 7", 2),
        ("clicks + 9999999999999999999 * 9999999999999999999", 0),
    ],
)
def test_constants_past_the_limits_overflow_to_null_on_every_row(source: str, scale: int) -> None:
    frame = ads(clicks=[1, 2])
    assert run(source, frame, scale) == ([None, None], 0)


def test_null_propagates_comparisons_are_null_and_logic_is_three_valued() -> None:
    frame = ads(clicks=[None, 1, None], active=[True, None, False])
    assert run("clicks + 1", frame)[0] == [None, 2, None]
    assert run("clicks > 0", frame)[0] == [None, True, None]
    assert run("clicks > 0 or active", frame)[0] == [True, True, None]
    assert run("clicks > 0 and active", frame)[0] == [None, None, False]
    assert run("not active", frame)[0] == [False, None, True]
    assert run("if(clicks > 0, 'yes', 'no')", frame)[0] == ["no", "yes", "no"]
    assert run("coalesce(clicks, 0)", frame)[0] == [0, 1, 0]


def test_only_divisions_that_were_evaluated_count() -> None:
    frame = ads(clicks=[5, 5, 5], impressions=[0, 0, 2])
    # if() evaluates one branch; coalesce() stops at the first non-null value.
    assert run("if(impressions > 0, clicks / impressions, 0)", frame)[1] == 0
    assert run("coalesce(clicks / impressions, 0)", frame) == (
        [Decimal("0.00"), Decimal("0.00"), Decimal("2.50")],
        2,
    )
    assert run("coalesce(1, clicks / impressions)", frame)[1] == 0
    # A null dividend gives null whatever the divisor: nothing to report.
    assert run("score / 0.0", ads(score=[1.0, None]))[1] == 1


def test_a_nan_in_a_number_field_is_null() -> None:
    frame = ads(score=[float("nan"), 1.0])
    assert run("score > 0", frame)[0] == [None, True]
    assert run("coalesce(score, 2)", frame)[0] == [2.0, 1.0]


def test_floats_mix_with_decimals_as_floats() -> None:
    frame = ads(score=[0.5, 2.0], amount=[Decimal("1.25"), Decimal("0.10")])
    assert run("score * amount", frame)[0] == pytest.approx([0.625, 0.2])


def test_dates_strings_and_datetimes_compare_and_take_parts() -> None:
    frame = ads(
        order_date=[date(2024, 2, 29), date(1999, 12, 31)],
        seen_at=[datetime(2024, 3, 1, 12), datetime(1999, 1, 2, 3)],
        name=["Zoé", "anna"],
    )
    assert run("day(order_date) + month(seen_at)", frame)[0] == [32, 32]
    assert run("year(order_date) >= 2000", frame)[0] == [True, False]
    assert run("name < 'b'", frame)[0] == [True, True]  # code point order: 'Z' < 'a'
    assert run("max(name, 'b')", frame)[0] == ["b", "b"]
    assert run("year_month(seen_at)", frame)[0] == ["2024-03", "1999-01"]
