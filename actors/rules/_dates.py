"""Date parsing: the five spec formats, with Python's ``strptime`` semantics, to ``YYYY-MM-DD``.

The vectorized side does not use polars' ``strptime``: it accepts a leading space that
Python rejects, and Python accepts things chrono does not (``"2024-01- 5"``, a lowercase
``t``, several spaces or a ``\\x1c`` between date and time). Instead it matches the exact
regular expressions Python's ``_strptime`` builds for these formats (ASCII part) and checks
the calendar itself. Values with non-ASCII characters (Python's ``\\d`` and ``\\s`` are
Unicode-wide) go to the scalar rule once per distinct value.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ._text import ASCII_WHITESPACE_CLASS, ascii_fast_path, per_distinct_value

#: Tried in this order; the first that parses wins.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_date(value: str | None) -> str | None:
    """Parse one date (spec §1.3) to ``YYYY-MM-DD``.

    Each of :data:`DATE_FORMATS` is tried with ``datetime.strptime`` on the value exactly
    as given (no stripping); the year is zero-padded to four digits.

    Args:
        value: the raw value.

    Returns:
        The ISO date, or None when no format parses (or the value is null). The pipeline
        then keeps the raw value and counts a warning.
    """
    if value is None:
        return None
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)  # noqa: DTZ007  # dates carry no zone
        except ValueError:
            continue
        return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"
    return None


# The groups of Python's _strptime (3.11) with \d narrowed to ASCII. ``6[0-1]`` is dropped
# from the seconds: Python matches it, then datetime() refuses second 60/61, and no other
# format can match such a value, so it is unparseable either way.
_Y = r"([0-9]{4})"
_M = r"(1[0-2]|0[1-9]|[1-9])"
_D = r"(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"
_TIME = r"(?:2[0-3]|[01][0-9]|[0-9]):(?:[0-5][0-9]|[0-9]):(?:[0-5][0-9]|[0-9])"
# Formats 1, 4 and 5 share a prefix; 2 and 3 are tried in order by the alternation. Python
# reaching format 3 needs format 2 to fail, and a value format 2 matches but whose date is
# invalid (day 29-31) can never be a valid day/month, so first-match-wins is exact.
_GENERAL = (
    rf"^(?:{_Y}-{_M}-{_D}(?:(?:{ASCII_WHITESPACE_CLASS}+|[Tt]){_TIME})?"
    rf"|{_M}/{_D}/{_Y}|{_D}/{_M}/{_Y})$"
)
# The common, fixed-width shapes, matched without captures (a DFA, ~10x cheaper).
_DAY2 = r"(?:0[1-9]|[12][0-9]|3[01])"
_ISO = (
    rf"^[0-9]{{4}}-(?:0[1-9]|1[0-2])-{_DAY2}"
    r"(?:[ Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9])?$"
)
_SLASHED = rf"^{_DAY2}/{_DAY2}/[0-9]{{4}}$"


def _calendar_ok(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = (
        pl.when(month == 2)
        .then(28 + leap.cast(pl.Int32))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    return (year >= 1) & month.is_between(1, 12) & day.is_between(1, days)


def _iso(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    return pl.concat_str(
        year, pl.lit("-"), month.cast(pl.String).str.zfill(2), pl.lit("-"),
        day.cast(pl.String).str.zfill(2),
    )  # fmt: skip


def _split_general(values: pl.Series) -> pl.DataFrame:
    """Year, month and day strings of the values matching Python's regexes (else null)."""
    groups = values.str.extract_groups(_GENERAL).struct.unnest()
    g = groups.columns  # 1-3: Y-m-d, 4-6: m/d/Y, 7-9: d/m/Y
    return groups.select(
        y=pl.coalesce(g[0], g[5], g[8]),
        p=pl.coalesce(g[1], g[3], g[7]),
        q=pl.coalesce(g[2], g[4], g[6]),
    )


def _parse_ascii(values: pl.Series) -> pl.Series:
    v = pl.col("v")
    iso = v.str.contains(_ISO).fill_null(False)
    slashed = v.str.contains(_SLASHED).fill_null(False)
    frame = values.to_frame("v").with_columns(
        y=pl.when(iso).then(v.str.slice(0, 4)).when(slashed).then(v.str.slice(6, 4)),
        p=pl.when(iso).then(v.str.slice(5, 2)).when(slashed).then(v.str.slice(0, 2)),
        q=pl.when(iso).then(v.str.slice(8, 2)).when(slashed).then(v.str.slice(3, 2)),
        swap=slashed,
    )
    rest = (~iso & ~slashed & v.is_not_null()).alias("rest")
    rest_rows = frame.select(rest).to_series().arg_true()
    if rest_rows.len():
        # Only the odd shapes pay for capture groups.
        split = _split_general(frame["v"].gather(rest_rows))
        frame = frame.with_columns(
            frame[name].scatter(rest_rows, split[name]) for name in ("y", "p", "q")
        )
    year = pl.col("y").cast(pl.Int32)
    first = pl.col("p").str.strip_chars(" ").cast(pl.Int32)
    second = pl.col("q").str.strip_chars(" ").cast(pl.Int32)
    # A fixed-width slashed value that is no valid month/day is tried as day/month, as
    # Python's third format would; the general regex already chose the order itself.
    result = frame.select(
        pl.when(_calendar_ok(year, first, second))
        .then(_iso(pl.col("y"), first, second))
        .when(pl.col("swap") & _calendar_ok(year, second, first))
        .then(_iso(pl.col("y"), second, first))
    )
    return result.to_series().alias(values.name)


def parse_date_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`parse_date` over a string Series."""
    return ascii_fast_path(values, _parse_ascii, parse_date, pl.String())


def parse_date_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`parse_date`: ``YYYY-MM-DD``, or null where no format parses.

    Args:
        value: a string expression.
    """
    return value.map_batches(parse_date_series, return_dtype=pl.String, is_elementwise=True)


__all__ = ["DATE_FORMATS", "parse_date", "parse_date_expr", "parse_date_series"]

_ = per_distinct_value  # re-exported helper is used by sibling modules only
