"""Date parsing: the five spec formats, with Python's ``strptime`` semantics, to ``YYYY-MM-DD``.

The vectorized side does not hand raw values to polars' ``strptime``: it accepts a leading
space that Python rejects, and Python accepts things chrono does not (``"2024-01- 5"``, a
lowercase ``t``, several spaces or a ``\\x1c`` between date and time). Instead it matches
the exact regular expressions Python's ``_strptime`` builds for these formats (their ASCII
part), rebuilds a canonical ``YYYY-MM-DD`` and lets chrono check only the calendar. Values
with non-ASCII characters (Python's ``\\d`` and ``\\s`` are Unicode-wide) go to the
scalar rule once per distinct value.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ._text import ASCII_WHITESPACE_CLASS, as_strings, ascii_fast_path, via_distinct

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
            parsed = datetime.strptime(value, fmt)
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


def _real_dates(iso: pl.Series) -> pl.Series:
    """Which ``YYYY-MM-DD`` strings are calendar dates Python accepts.

    chrono agrees with ``datetime.date`` on every such string (checked for all years)
    except year 0, which Python refuses.
    """
    parsed = iso.str.to_date("%Y-%m-%d", strict=False).is_not_null()
    return parsed & ~iso.str.starts_with("0000")


def _first_real(*candidates: pl.Series) -> pl.Series:
    """Per row, the first candidate that is a real date, else null."""
    result = candidates[0].clear(candidates[0].len())
    for candidate in reversed(candidates):
        result = candidate.zip_with(_real_dates(candidate).fill_null(False), result)
    return result


def _from_slashed(values: pl.Series) -> pl.Series:
    # NN/NN/YYYY with both NN in 01..31: month/day first, as Python's second format, then
    # day/month, as its third (which Python reaches only when the second fails).
    year, first, second = values.str.slice(6, 4), values.str.slice(0, 2), values.str.slice(3, 2)
    return _first_real(
        year + "-" + first + "-" + second,
        year + "-" + second + "-" + first,
    )


def _from_general(values: pl.Series) -> pl.Series:
    groups = values.str.extract_groups(_GENERAL).struct.unnest()
    g = groups.columns  # 1-3: Y-m-d, 4-6: m/d/Y, 7-9: d/m/Y; one alternative matches
    iso = groups.select(
        pl.concat_str(
            pl.coalesce(g[0], g[5], g[8]),
            pl.lit("-"),
            pl.coalesce(g[1], g[3], g[7]).str.strip_chars(" ").str.zfill(2),
            pl.lit("-"),
            pl.coalesce(g[2], g[4], g[6]).str.strip_chars(" ").str.zfill(2),
        )
    ).to_series()
    return _first_real(iso)


def _parse_ascii(values: pl.Series) -> pl.Series:
    iso = values.str.contains(_ISO).fill_null(False)
    slashed = values.str.contains(_SLASHED).fill_null(False)
    rest = ~iso & ~slashed & values.is_not_null()
    # The common shape is done on the whole column (no gather/scatter); the others on
    # their rows only, so only the odd shapes pay for capture groups.
    head = values.str.slice(0, 10)
    result = head.zip_with(iso & _real_dates(head).fill_null(False), head.clear(values.len()))
    for rows, build in ((slashed.arg_true(), _from_slashed), (rest.arg_true(), _from_general)):
        if rows.len():
            result = result.scatter(rows, build(values.gather(rows)))
    return result.alias(values.name)


def parse_date_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`parse_date` over a string Series."""
    values = as_strings(values)
    return via_distinct(
        values, lambda v: ascii_fast_path(v, _parse_ascii, parse_date, pl.String()), pl.String()
    )


def parse_date_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`parse_date`: ``YYYY-MM-DD``, or null where no format parses.

    Args:
        value: a string expression.
    """
    return value.map_batches(parse_date_series, return_dtype=pl.String, is_elementwise=True)
