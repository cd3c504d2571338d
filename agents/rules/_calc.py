"""Calculations (spec §3): impressions as an integer, rpm, month_year."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import polars as pl

from ._money import CENT, MONEY_DTYPE, MONEY_LIMIT
from ._text import PY_WHITESPACE, as_strings

#: Impressions are an Int64 column; a count beyond it is treated as not an integer.
INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_ALL_DIGITS = r"^[0-9]+$"


def parse_impressions(value: str | None) -> int | None:
    """Parse an impressions count.

    Surrounding whitespace is stripped, then every ``,`` removed; what is left must be
    ASCII digits only (a full match: Python's ``$`` would also accept a trailing newline)
    and fit a signed 64-bit integer.

    Args:
        value: the raw value.

    Returns:
        The count, or None (the pipeline counts a warning when a non-null value gives None).
    """
    if value is None:
        return None
    digits = value.strip().replace(",", "")
    if _DIGITS.fullmatch(digits) is None:
        return None
    count = int(digits)
    return count if count <= INT64_MAX else None


def parse_impressions_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`parse_impressions`: an Int64 column.

    Args:
        value: a string expression.
    """
    digits = value.str.strip_chars(PY_WHITESPACE).str.replace_all(",", "", literal=True)
    # The cast yields null past Int64, as the scalar rule does.
    return pl.when(digits.str.contains(_ALL_DIGITS)).then(digits.cast(pl.Int64, strict=False))


def parse_impressions_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`parse_impressions` over a string Series: Int64, null where None."""
    values = as_strings(values)
    return values.to_frame().select(parse_impressions_expr(pl.col(values.name))).to_series()


def compute_rpm(revenue: Decimal, impressions: int | None) -> Decimal | None:
    """Revenue per thousand impressions: ``revenue * 1000 / impressions``.

    Computed exactly (as a fraction, never through a 28-digit Decimal context, which
    would round twice) and quantized to ``0.01`` with ``ROUND_HALF_EVEN``.

    Args:
        revenue: the cleaned revenue.
        impressions: the parsed count.

    Returns:
        The rpm; None when impressions is None or not positive, or when the result does
        not fit ``Decimal(38, 2)`` (36 digits before the point).
    """
    if impressions is None or impressions <= 0:
        return None
    cents = round(Fraction(revenue) * 100_000 / impressions)  # round() on a Fraction is half-even
    if abs(cents) >= MONEY_LIMIT * 100:
        return None
    return Decimal(f"{cents}E-2")  # built from text: exact, where arithmetic would round


_I128 = pl.Int128
# cents * 1000 stays inside i64 below this; larger revenues take the i128 path.
_I64_SAFE_CENTS = 9 * 10**15


def _round_half_even(
    quotient: pl.Expr, remainder: pl.Expr, divisor: pl.Expr, dtype: pl.DataType
) -> pl.Expr:
    twice = remainder * pl.lit(2, dtype)
    up = (twice > divisor) | ((twice == divisor) & (quotient % pl.lit(2, dtype) == 1))
    return quotient + up.cast(dtype)


def _rpm_cents_i64(size: pl.Series, count: pl.Series) -> pl.Series:
    frame = pl.DataFrame({"num": size.cast(pl.Int64) * 1000, "n": count})
    num, n = pl.col("num"), pl.col("n")
    rounded = _round_half_even(num // n, num % n, n, pl.Int64())
    return frame.select(rounded.cast(_I128)).to_series()


def _rpm_cents_i128(size: pl.Series, count: pl.Series) -> pl.Series:
    # size * 1000 may overflow i128, so divide in two steps:
    # size * 1000 == (q1 * 1000 + q2) * count + r2, with r1 * 1000 < 1000 * 2**63.
    frame = pl.DataFrame({"s": size, "n": count.cast(_I128)})
    n = pl.col("n")
    thousand = pl.lit(1000, _I128)
    staged = frame.with_columns(q1=pl.col("s") // n, r1=(pl.col("s") % n) * thousand)
    staged = staged.with_columns(q2=pl.col("r1") // n, r2=pl.col("r1") % n)
    # Past 10**35 * 1000 cents the rpm cannot fit Decimal(38, 2); avoid the overflow.
    fits = pl.col("q1") < pl.lit(10**35, _I128)
    base = pl.when(fits).then(pl.col("q1") * thousand + pl.col("q2"))
    return staged.select(_round_half_even(base, pl.col("r2"), n, _I128())).to_series()


def compute_rpm_series(revenue: pl.Series, impressions: pl.Series) -> pl.Series:
    """Vectorized :func:`compute_rpm` over aligned Series, in exact integer arithmetic.

    Args:
        revenue: a ``Decimal(38, 2)`` Series (as :func:`clean_money_expr` returns).
        impressions: an integer Series.
    """
    cents = revenue.cast(MONEY_DTYPE).to_physical()
    count = impressions.cast(pl.Int64)
    size = cents.abs()
    positive = (count > 0).fill_null(False)
    huge = (size >= _I64_SAFE_CENTS).fill_null(False)
    # Every path divides by a positive i64; rows that cannot have an rpm divide by 1.
    safe_count = count.clone().set(~positive, 1)
    rounded = _rpm_cents_i64(size.clone().set(huge, 0), safe_count)
    big_rows = (huge & positive).arg_true()
    if big_rows.len():
        rounded = rounded.scatter(
            big_rows, _rpm_cents_i128(size.gather(big_rows), safe_count.gather(big_rows))
        )
    frame = pl.DataFrame({"cents": cents, "rpm": rounded, "ok": positive})
    fits = pl.col("rpm") < pl.lit(10**38, _I128)
    signed = pl.when(pl.col("cents") < 0).then(pl.lit(0, _I128) - pl.col("rpm")).otherwise("rpm")
    as_money = signed.cast(pl.Decimal(38, 0), strict=False) * pl.lit(CENT)
    result = frame.select(pl.when(pl.col("ok") & fits).then(as_money.cast(MONEY_DTYPE)))
    return result.to_series().alias(revenue.name)


def compute_rpm_expr(revenue: pl.Expr, impressions: pl.Expr) -> pl.Expr:
    """Vectorized :func:`compute_rpm`.

    Args:
        revenue: a ``Decimal(38, 2)`` expression (as :func:`clean_money_expr` returns).
        impressions: an integer expression.
    """
    return pl.struct(revenue.alias("revenue"), impressions.alias("impressions")).map_batches(
        lambda pair: compute_rpm_series(
            pair.struct.field("revenue"), pair.struct.field("impressions")
        ),
        return_dtype=MONEY_DTYPE,
        is_elementwise=True,
    )


def month_year(parsed_date: str | None) -> str | None:
    """The ``YYYY-MM`` of a parsed date (the output of :func:`parse_date`), else None."""
    return None if parsed_date is None else parsed_date[:7]


def month_year_expr(parsed_date: pl.Expr) -> pl.Expr:
    """Vectorized :func:`month_year`.

    Args:
        parsed_date: ``parse_date_expr(...)``: null where the date did not parse.
    """
    return parsed_date.str.slice(0, 7)
