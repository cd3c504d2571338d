"""Numbers as business tables write them: ``$1,234.50``, ``EUR 3``, ``(12.00)``, ``-5``.

Accepted: an optional sign, a currency symbol (``$ € £ ¥ US$``) or ISO code (``USD``,
``eur``, ...) before or after the number, comma thousands separators in groups of three,
a decimal point, an exponent (not with a currency), surrounding spaces, and parentheses
for negatives. A decimal comma (``1,5``) is not a number here: commas only group
thousands, so ``1,5`` is reported as unparsed rather than read as 15 or 1.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ._values import Distinct

__all__ = ["CURRENCY_CODES", "NumberStats", "number_stats", "parse_numbers"]

#: ISO codes recognised around amounts (any case); symbols: $ € £ ¥ US$.
CURRENCY_CODES = (
    "USD", "EUR", "GBP", "JPY", "CNY", "CAD", "AUD", "CHF", "INR", "SEK", "NOK", "DKK",
    "NZD", "MXN", "BRL", "ZAR", "HKD", "SGD", "KRW", "PLN",
)  # fmt: skip
_CUR = r"(?:US\$|[$€£¥]|(?i:" + "|".join(CURRENCY_CODES) + r"))"
_PATTERN = (
    rf"^(?P<s1>[+-]?)\s*(?P<c1>{_CUR})?\s*(?P<s2>[+-]?)\s*"
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)?(?:\.(?P<frac>\d+))?(?:[eE](?P<exp>[+-]?\d+))?"
    rf"\s*(?P<c2>{_CUR})?$"
)
_PAREN = r"^\(\s*(.*?)\s*\)$"
# More fraction digits than this reads as a float printed in full (0.30000000000000004).
_MAX_DECIMAL_SCALE = 9


def _parts(value: pl.Expr) -> pl.Expr:
    """A struct of the number's parts, plus ``paren``; fields null when it is no number."""
    inner = value.str.replace(_PAREN, "$1")
    return (
        inner.str.extract_groups(_PATTERN)
        .struct.with_fields(paren=value.str.contains(_PAREN), ok=inner.str.contains(_PATTERN))
        .alias("parts")
    )


def _valid(parts: pl.Expr) -> pl.Expr:
    f = parts.struct.field
    signs = (f("s1") != "").cast(pl.Int8) + (f("s2") != "").cast(pl.Int8) + f("paren")
    currency = f("c1").is_not_null() | f("c2").is_not_null()
    return (
        f("ok")
        & (f("int").is_not_null() | f("frac").is_not_null())
        & (signs <= 1)
        & ~(f("c1").is_not_null() & f("c2").is_not_null())
        & ~(f("exp").is_not_null() & currency)
    ).fill_null(value=False)


def _plain(parts: pl.Expr) -> pl.Expr:
    """The number as ``-1234.50``/``1e5`` text, which polars casts exactly."""
    f = parts.struct.field
    negative = (f("s1") == "-") | (f("s2") == "-") | f("paren")
    return pl.concat_str(
        pl.when(negative).then(pl.lit("-")).otherwise(pl.lit("")),
        f("int").str.replace_all(",", "").fill_null("0"),
        pl.when(f("frac").is_not_null()).then("." + f("frac")).otherwise(pl.lit("")),
        pl.when(f("exp").is_not_null()).then("e" + f("exp")).otherwise(pl.lit("")),
    )


@dataclass(frozen=True, slots=True)
class NumberStats:
    """What the present values of a column say about it as numbers.

    Attributes:
        parsed: rows whose value is a number.
        with_currency: rows whose value carries a currency symbol or code.
        integral: rows whose value is a whole number written without a point or exponent.
        leading_zero: rows whose whole number starts with a 0 (``00123``: a code).
        scale: the most digits after the point among parsed values.
        exponent: whether any parsed value has an exponent.
        currencies: the currency marks seen, upper-cased.
        failed: examples of values that are no number.
    """

    parsed: int
    with_currency: int
    integral: int
    leading_zero: int
    scale: int
    exponent: bool
    currencies: tuple[str, ...]
    failed: tuple[str, ...] = ()

    @property
    def is_number(self) -> bool:
        """Whether the values read as floats rather than decimals."""
        return self.exponent or self.scale > _MAX_DECIMAL_SCALE


def number_stats(values: Distinct) -> NumberStats:
    """Check the distinct values of a column as numbers."""
    if values.count == 0:
        return NumberStats(0, 0, 0, 0, 0, exponent=False, currencies=())
    frame = values.frame.with_columns(_parts(pl.col("v"))).with_columns(ok=_valid(pl.col("parts")))
    good = frame.filter("ok")
    f = pl.col("parts").struct.field
    currency = pl.coalesce(f("c1"), f("c2")).str.to_uppercase()
    stats = good.select(
        parsed=pl.col("n").sum(),
        with_currency=pl.col("n").filter(currency.is_not_null()).sum(),
        integral=pl.col("n").filter(f("frac").is_null() & f("exp").is_null()).sum(),
        leading_zero=pl.col("n").filter(f("int").str.contains(r"^0\d")).sum(),
        scale=f("frac").str.len_chars().max(),
        exponent=f("exp").is_not_null().any(),
        currencies=currency.drop_nulls().unique().sort().implode(),
    ).row(0, named=True)
    return NumberStats(
        parsed=int(stats["parsed"] or 0),
        with_currency=int(stats["with_currency"] or 0),
        integral=int(stats["integral"] or 0),
        leading_zero=int(stats["leading_zero"] or 0),
        scale=int(stats["scale"] or 0),
        exponent=bool(stats["exponent"]),
        currencies=tuple(stats["currencies"] or ()),
        failed=Distinct(frame, values.rows, values.present).examples(~pl.col("ok")),
    )


def parse_numbers(series: pl.Series, *, scale: int | None = None) -> pl.Series:
    """Parse business-formatted numbers; what is not a number becomes null.

    Args:
        series: strings (``$1,234.50``, ``(12)``, ``EUR 3``).
        scale: digits after the point of a ``Decimal`` result (more digits are
            cut as polars casts text); ``None`` gives ``Float64``.
    """
    frame = pl.DataFrame({"v": series.cast(pl.String).str.strip_chars()}).with_columns(
        _parts(pl.col("v"))
    )
    text = pl.when(_valid(pl.col("parts"))).then(_plain(pl.col("parts")))
    dtype: pl.DataType = pl.Float64() if scale is None else pl.Decimal(38, scale)
    return frame.select(text.cast(dtype, strict=False).alias(series.name)).to_series()
