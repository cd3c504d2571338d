"""Money cleaning: a messy string to an exact two-place Decimal, or a rejection.

Money is never a float: the scalar rule works in ``decimal.Decimal``, the vectorized one
in ``pl.Decimal(38, 2)`` (an exact 128-bit integer count of cents underneath).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

import polars as pl

from ._errors import RuleViolation
from ._text import as_strings

#: The money column type: 36 digits before the point, two after.
MONEY_DTYPE = pl.Decimal(38, 2)
CENT = Decimal("0.01")
#: Money must stay below this in magnitude to fit :data:`MONEY_DTYPE`.
MONEY_LIMIT = Decimal(10) ** 36

_NOT_MONEY = re.compile(r"[^0-9.\-]")
# Wide enough to quantize any value below MONEY_LIMIT without hitting the precision trap
# (the default context has 28 digits and would raise on 30-digit revenues).
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)

# Python's Decimal grammar restricted to what survives the character filter; polars'
# cast accepts a little more ("1-", "-"), so the vectorized side gates on this first.
_DECIMAL_SYNTAX = r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"


def _cannot_parse(field: str, value: str) -> RuleViolation:
    return RuleViolation("money", f"{field}: cannot parse '{value}'", field=field)


def clean_money(value: str | None, field: str = "revenue") -> Decimal:
    """Clean one money value (spec §1.1).

    Every character other than ``0123456789.-`` is removed; the rest must parse as a
    Decimal below 10**36 in magnitude once quantized to ``0.01`` with ``ROUND_HALF_EVEN``
    (it must fit ``Decimal(38, 2)``). Negative zero becomes ``0.00``.

    Args:
        value: the raw value, as read (a string or null).
        field: the column name used in the rejection reason.

    Returns:
        The amount, with exactly two decimal places.

    Raises:
        RuleViolation: ``<field>: missing`` for null, ``<field>: cannot parse '<value>'``
            when what is left is not a number or is too large.
    """
    if value is None:
        raise RuleViolation("money", f"{field}: missing", field=field)
    digits = _NOT_MONEY.sub("", value)
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        raise _cannot_parse(field, value) from None
    # copy_abs, not abs(): abs() rounds to the 28-digit context before comparing.
    if not amount.is_finite() or amount.copy_abs() >= MONEY_LIMIT:
        raise _cannot_parse(field, value)
    cents = amount.quantize(CENT, rounding=ROUND_HALF_EVEN, context=_CONTEXT)
    if cents.copy_abs() >= MONEY_LIMIT:  # 999…9.995 rounds up past 36 digits
        raise _cannot_parse(field, value)
    return cents.copy_abs() if cents.is_zero() else cents


def clean_money_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`clean_money`: a ``Decimal(38, 2)`` column, null where it rejects.

    Args:
        value: a string expression.
    """
    digits = value.str.replace_all(r"[^0-9.\-]+", "")
    # The cast rounds half-even exactly like Decimal.quantize (RECIPES.md) and yields null
    # past 36 integer digits, including after rounding up; -0 has no sign in an i128.
    # A plain expression (no Python in between) lets polars run it beside the other rules.
    parsed = digits.cast(MONEY_DTYPE, strict=False)
    return pl.when(digits.str.contains(_DECIMAL_SYNTAX)).then(parsed)


def clean_money_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`clean_money` over a string Series: null where it rejects."""
    values = as_strings(values)
    return values.to_frame().select(clean_money_expr(pl.col(values.name))).to_series()


def money_reason_expr(value: pl.Expr, cleaned: pl.Expr, field: str) -> pl.Expr:
    """The rejection reason of :func:`clean_money` per row, null where the value is kept.

    Args:
        value: the raw string expression.
        cleaned: ``clean_money_expr(value)``.
        field: the column name used in the reason.
    """
    return (
        pl.when(value.is_null())
        .then(pl.lit(f"{field}: missing"))
        .when(cleaned.is_null())
        .then(pl.concat_str(pl.lit(f"{field}: cannot parse '"), value, pl.lit("'")))
    )
