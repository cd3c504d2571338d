"""Calculations: impressions, rpm (exact, half-even) and month_year."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import (
    MONEY_DTYPE,
    compute_rpm,
    compute_rpm_series,
    month_year,
    month_year_expr,
    parse_date,
    parse_date_expr,
    parse_impressions,
    parse_impressions_expr,
)
from actorflow.testing import assert_rule_agrees, date_strings, impressions_strings, optional

# Every value a Decimal(38, 2) column holds, with small ones (the usual) drawn often.
revenues = st.one_of(
    st.integers(-(10**7), 10**7),
    st.integers(-(10**38) + 1, 10**38 - 1),
).map(lambda cents: Decimal(f"{cents}E-2"))
# Counts that make half-cent ties common (2000 impressions: every odd cent is a tie).
impressions = (
    st.none()
    | st.integers(-3, 10**7)
    | st.integers(1, 2**63 - 1)
    | st.sampled_from((2, 8, 80, 2000, 4000, 16_000, 200_000))
)


def test_vectorized_impressions_parsing_agrees_with_scalar_spec() -> None:
    assert_rule_agrees(
        parse_impressions, parse_impressions_expr, optional(impressions_strings()), max_examples=200
    )


def test_vectorized_impressions_parsing_agrees_on_arbitrary_unicode_text() -> None:
    assert_rule_agrees(parse_impressions, parse_impressions_expr, st.text(max_size=8))


@settings(deadline=None)
@given(st.lists(st.tuples(revenues, impressions), max_size=40))
def test_vectorized_rpm_agrees_with_scalar_spec(pairs: list[tuple[Decimal, int | None]]) -> None:
    revenue = pl.Series([r for r, _ in pairs], dtype=MONEY_DTYPE)
    count = pl.Series([i for _, i in pairs], dtype=pl.Int64)
    got = [None if v is None else str(v) for v in compute_rpm_series(revenue, count).to_list()]
    expected = [None if (v := compute_rpm(r, i)) is None else str(v) for r, i in pairs]
    assert got == expected


@settings(deadline=None)
@given(revenues, st.integers(1, 2**63 - 1))
def test_rpm_is_the_exact_ratio_rounded_half_even_to_the_cent(revenue: Decimal, count: int) -> None:
    rpm = compute_rpm(revenue, count)
    exact = Fraction(revenue) * 1000 / count
    if rpm is None:
        assert abs(exact) >= 10**36 - Fraction(1, 200)  # does not fit Decimal(38, 2)
        return
    assert rpm.as_tuple().exponent == -2
    error = abs(Fraction(rpm) - exact)
    assert error <= Fraction(1, 200)
    if error == Fraction(1, 200):
        assert int(rpm.scaleb(2)) % 2 == 0


@pytest.mark.parametrize(
    ("revenue", "count", "expected"),
    [
        ("0.01", 2000, "0.00"),  # 0.005: a tie, to the even cent
        ("0.03", 2000, "0.02"),  # 0.015
        ("0.05", 2000, "0.02"),  # 0.025
        ("-0.03", 2000, "-0.02"),
        ("1.00", 3, "333.33"),
        ("2.00", 3, "666.67"),
        ("12.34", 1000, "12.34"),
        ("99999.99", 7, "14285712.86"),
        ("1.00", 0, None),
        ("1.00", -5, None),
        ("1.00", None, None),
        ("1" + "0" * 33 + ".00", 1, None),  # 10**36: past Decimal(38, 2)
        ("1" + "0" * 32 + ".00", 1, "1" + "0" * 35 + ".00"),
    ],
)
def test_tricky_rpms_follow_the_spec(revenue: str, count: int | None, expected: str | None) -> None:
    rpm = compute_rpm(Decimal(revenue), count)
    assert (None if rpm is None else str(rpm)) == expected
    got = compute_rpm_series(
        pl.Series([Decimal(revenue)], dtype=MONEY_DTYPE), pl.Series([count], dtype=pl.Int64)
    ).to_list()
    assert [None if v is None else str(v) for v in got] == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,000", 1000),
        (" 12 ", 12),
        ("\u300012\xa0", 12),
        ("12\n", 12),
        (",100", 100),
        ("1,,0", 10),
        ("007", 7),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),  # past int64
        ("12\n,", None),  # "12\n" is left: re.match("^[0-9]+$") would take it, fullmatch not
        ("1 000", None),
        ("-5", None),
        ("+5", None),
        ("1.5", None),
        ("1e3", None),
        ("\u0661\u0662", None),  # [0-9] is ASCII
        ("", None),
        (",", None),
        (None, None),
    ],
)
def test_tricky_impressions_parse_as_the_spec_says(raw: str | None, expected: int | None) -> None:
    assert parse_impressions(raw) == expected
    series = pl.Series([raw], dtype=pl.String)
    assert pl.select(parse_impressions_expr(pl.lit(series))).to_series().to_list() == [expected]


def test_vectorized_month_year_agrees_with_scalar_spec() -> None:
    assert_rule_agrees(
        lambda raw: month_year(parse_date(raw)),
        lambda column: month_year_expr(parse_date_expr(column)),
        optional(date_strings()),
    )


def test_month_year_is_the_first_seven_characters_of_a_parsed_date() -> None:
    assert month_year("0999-12-31") == "0999-12"
    assert month_year(None) is None
