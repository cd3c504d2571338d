"""Money cleaning: the scalar spec, its vectorized twin, and the invariants of both."""

from __future__ import annotations

import pickle
from decimal import Decimal, localcontext

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import (
    MONEY_DTYPE,
    RuleViolation,
    clean_money,
    clean_money_expr,
    clean_money_series,
    money_reason_expr,
)
from actorflow.contracts import DataValidationError
from actorflow.testing import assert_rule_agrees, money_strings, optional


def _vectorized(values: list[str | None], field: str = "revenue") -> pl.DataFrame:
    frame = pl.DataFrame({"raw": pl.Series(values, dtype=pl.String)})
    cleaned = clean_money_expr(pl.col("raw"))
    return frame.select(
        cleaned.alias("money"), money_reason_expr(pl.col("raw"), cleaned, field).alias("reason")
    )


def _scalar(value: str | None, field: str = "revenue") -> tuple[Decimal | None, str | None]:
    try:
        return clean_money(value, field), None
    except RuleViolation as violation:
        return None, violation.reason


def test_vectorized_money_cleaning_agrees_with_scalar_spec() -> None:
    assert_rule_agrees(clean_money, clean_money_expr, optional(money_strings()), max_examples=200)


@settings(deadline=None)
@given(st.lists(optional(money_strings()), max_size=30), st.sampled_from(["revenue", "fee_amount"]))
def test_vectorized_money_reasons_match_the_spec_texts(
    values: list[str | None], field: str
) -> None:
    got = _vectorized(values, field)["reason"].to_list()
    assert got == [_scalar(v, field)[1] for v in values]


@settings(deadline=None)
@given(money_strings())
def test_cleaned_money_has_exactly_two_places_and_fits_decimal_38_2(value: str) -> None:
    amount, _ = _scalar(value)
    if amount is not None:
        assert amount.as_tuple().exponent == -2
        assert amount.copy_abs() < Decimal(10) ** 36
        assert not (amount.is_zero() and amount.is_signed())
        assert isinstance(amount, Decimal)


@settings(deadline=None)
@given(money_strings())
def test_money_cleaning_is_idempotent(value: str) -> None:
    amount, _ = _scalar(value)
    if amount is not None:
        assert clean_money(str(amount)) == amount
        assert str(clean_money(str(amount))) == str(amount)


@settings(deadline=None)
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**30), max_value=10**30
    )
)
def test_money_rounds_exactly_half_even_to_the_cent(exact: Decimal) -> None:
    cleaned = clean_money(str(exact))
    with localcontext(prec=80):  # the default 28 digits would round this arithmetic
        error = abs(cleaned - exact)
        assert error <= Decimal("0.005")
        if error == Decimal("0.005"):
            assert (cleaned * 100) % 2 == 0  # ties go to the even cent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.005", "0.00"),
        ("0.015", "0.02"),
        ("0.025", "0.02"),
        ("-0.015", "-0.02"),
        ("2.675", "2.68"),  # a float would say 2.67
        ("1.0050", "1.00"),
        ("$1,234.565", "1234.56"),
        ("  € 1 234.50 ", "1234.50"),
        ("5.", "5.00"),
        (".5", "0.50"),
        ("-.5", "-0.50"),
        ("USD -12", "-12.00"),
        ("0" * 40 + "1.005", "1.00"),
        ("9" * 36 + ".994", "9" * 36 + ".99"),
    ],
)
def test_tricky_amounts_clean_to_the_spec_value(raw: str, expected: str) -> None:
    assert str(clean_money(raw)) == expected
    assert [str(v) for v in _vectorized([raw])["money"].to_list()] == [expected]


@pytest.mark.parametrize("raw", ["-0", "-0.00", "-0.001", "-0.005", "$-0.00"])
def test_negative_zero_becomes_zero(raw: str) -> None:
    assert str(clean_money(raw)) == "0.00"
    assert [str(v) for v in _vectorized([raw])["money"].to_list()] == ["0.00"]


@pytest.mark.parametrize(
    "raw",
    ["", "N/A", "-", ".", "--1", "1-2", "1.2.3", "9" * 37, "1" + "0" * 36, "9" * 36 + ".995"],
)
def test_unparseable_or_oversized_money_is_rejected_with_the_original_value(raw: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        clean_money(raw, "fee_amount")
    assert caught.value.reason == f"fee_amount: cannot parse '{raw}'"
    assert caught.value.rule == "money"
    assert _vectorized([raw], "fee_amount").row(0) == (None, caught.value.reason)


def test_missing_money_is_rejected_as_missing() -> None:
    with pytest.raises(RuleViolation, match=r"^revenue: missing$"):
        clean_money(None)
    assert _vectorized([None]).row(0) == (None, "revenue: missing")


def test_vectorized_rules_take_an_all_null_column_and_refuse_numbers() -> None:
    assert clean_money_series(pl.Series("r", [None, None])).to_list() == [None, None]
    with pytest.raises(TypeError, match="infer_schema=False"):
        clean_money_series(pl.Series("r", [1, 2]))


def test_vectorized_money_column_is_decimal_38_2() -> None:
    assert _vectorized(["1"])["money"].dtype == MONEY_DTYPE


def test_rule_violation_is_a_picklable_data_validation_error() -> None:
    violation = RuleViolation("money", "revenue: missing", field="revenue")
    copy = pickle.loads(pickle.dumps(violation))
    assert isinstance(copy, RuleViolation)
    assert isinstance(copy, DataValidationError)
    assert (copy.rule, copy.reason, copy.field, str(copy)) == (
        "money",
        "revenue: missing",
        "revenue",
        "revenue: missing",
    )
    assert not copy.retryable
