"""Filtering (spec §4): required fields, then the revenue range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import polars as pl

from ._errors import RuleViolation
from ._money import MONEY_DTYPE

# Cents of any Decimal(38, 2) value lie strictly inside ±10**38, and that fits an i128.
_CENTS_BOUND = 10**38


def required_reason(field: str) -> str:
    """The rejection reason for a missing required field."""
    return f"missing required field '{field}'"


def check_required(record: Mapping[str, object], fields: Sequence[str]) -> None:
    """Reject a record whose required field is null or empty after normalization.

    Args:
        record: the normalized record (a field it lacks counts as null).
        fields: the required fields, checked in this order.

    Raises:
        RuleViolation: ``missing required field '<name>'`` for the first one missing.
    """
    for field in fields:
        value = record.get(field)
        if value is None or (isinstance(value, str) and value == ""):
            raise RuleViolation("required", required_reason(field), field=field)


def check_range(
    revenue: Decimal,
    *,
    min_revenue: Decimal | None,
    max_revenue: Decimal | None,
    field: str = "revenue",
) -> None:
    """Reject a revenue outside ``[min_revenue, max_revenue]`` (compared as Decimals).

    Args:
        revenue: the cleaned revenue.
        min_revenue: the inclusive lower bound, or None.
        max_revenue: the inclusive upper bound, or None.
        field: the field name used in the reason.

    Raises:
        RuleViolation: ``revenue <value> below min_revenue <min>`` or
            ``revenue <value> above max_revenue <max>``.
    """
    if min_revenue is not None and revenue < min_revenue:
        reason = f"{field} {revenue} below min_revenue {min_revenue}"
        raise RuleViolation("range", reason, field=field)
    if max_revenue is not None and revenue > max_revenue:
        reason = f"{field} {revenue} above max_revenue {max_revenue}"
        raise RuleViolation("range", reason, field=field)


def _missing(field: str, schema: Mapping[str, pl.DataType]) -> pl.Expr:
    dtype = schema.get(field)
    if dtype is None:
        return pl.repeat(True, pl.len())  # frame-shaped, not a scalar
    if dtype == pl.String:
        return pl.col(field).is_null() | (pl.col(field) == "")
    return pl.col(field).is_null()


def missing_required_expr(fields: Sequence[str], schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """Vectorized :func:`check_required` as a flag: true where a required field is missing.

    Args:
        fields: the required fields.
        schema: the normalized table's schema (a field not in it is null on every row).
    """
    flags = [_missing(field, schema) for field in fields]
    return pl.any_horizontal(flags) if flags else pl.repeat(False, pl.len())


def required_reason_expr(fields: Sequence[str], schema: Mapping[str, pl.DataType]) -> pl.Expr:
    """Vectorized :func:`check_required`: the reason per row, null where all are present.

    Args:
        fields: the required fields, in order.
        schema: the normalized table's schema (a field not in it is null on every row).
    """
    reason: pl.Expr = pl.repeat(None, pl.len(), dtype=pl.String)  # frame-shaped, not a scalar
    for field in reversed(fields):
        message = pl.lit(required_reason(field))
        reason = pl.when(_missing(field, schema)).then(message).otherwise(reason)
    return reason


def _cents_limit(bound: Decimal, *, ceil: bool) -> int:
    # Exact (a Fraction, not a 28-digit context), clamped to what an i128 literal holds.
    scaled = Fraction(bound) * 100
    cents = math.ceil(scaled) if ceil else math.floor(scaled)
    return max(-_CENTS_BOUND, min(_CENTS_BOUND, cents))


def _below(revenue: pl.Expr, bound: Decimal) -> pl.Expr:
    # Whole cents (a Decimal(38, 2) is an i128 of cents): exact for any bound.
    cents = revenue.cast(MONEY_DTYPE).to_physical()
    return cents < pl.lit(_cents_limit(bound, ceil=True), pl.Int128)


def _above(revenue: pl.Expr, bound: Decimal) -> pl.Expr:
    cents = revenue.cast(MONEY_DTYPE).to_physical()
    return cents > pl.lit(_cents_limit(bound, ceil=False), pl.Int128)


def out_of_range_expr(
    revenue: pl.Expr, *, min_revenue: Decimal | None, max_revenue: Decimal | None
) -> pl.Expr:
    """Vectorized :func:`check_range` as a flag: true where revenue is out of range.

    Args:
        revenue: a ``Decimal(38, 2)`` expression.
        min_revenue: the inclusive lower bound, or None.
        max_revenue: the inclusive upper bound, or None.
    """
    flags = [
        *([_below(revenue, min_revenue)] if min_revenue is not None else []),
        *([_above(revenue, max_revenue)] if max_revenue is not None else []),
    ]
    return pl.any_horizontal(flags) if flags else pl.repeat(False, pl.len())


def range_reason_expr(
    revenue: pl.Expr,
    *,
    min_revenue: Decimal | None,
    max_revenue: Decimal | None,
    field: str = "revenue",
) -> pl.Expr:
    """Vectorized :func:`check_range`: the reason per row, null where in range.

    Compares whole cents, so a bound with more than two places or beyond 36 digits
    compares exactly.

    Args:
        revenue: a ``Decimal(38, 2)`` expression.
        min_revenue: the inclusive lower bound, or None.
        max_revenue: the inclusive upper bound, or None.
        field: the field name used in the reason.
    """
    text = revenue.cast(pl.String)
    reason: pl.Expr = pl.repeat(None, pl.len(), dtype=pl.String)  # frame-shaped, not a scalar
    if max_revenue is not None:
        message = pl.concat_str(
            pl.lit(f"{field} "), text, pl.lit(f" above max_revenue {max_revenue}")
        )
        reason = pl.when(_above(revenue, max_revenue)).then(message).otherwise(reason)
    if min_revenue is not None:
        message = pl.concat_str(
            pl.lit(f"{field} "), text, pl.lit(f" below min_revenue {min_revenue}")
        )
        reason = pl.when(_below(revenue, min_revenue)).then(message).otherwise(reason)
    return reason
