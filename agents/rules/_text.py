"""Python's character semantics for the vectorized rules, and the non-ASCII escape hatch.

The scalar rules lean on Python's Unicode tables (``str.split``, ``str.title``,
``str.upper``, ``re``'s ``\\s`` and ``\\d``). Polars uses Rust's, which differ: ``\\s`` leaves
out ``\\x1c``-``\\x1f``, ``to_titlecase`` starts a word after any non-alphabetic character
(Python: after any uncased one, such as the click letter U+01C0), and Rust ships a newer
Unicode version, so a few dozen letters change case in one and not the other. On ASCII
the two agree exactly, so the vectorized rules run in Rust for ASCII values and hand the
rare non-ASCII value to the scalar rule, once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

#: Every character ``str.isspace()`` (and so ``str.split()``, ``str.strip()`` and ``re``'s
#: ``\s``) treats as whitespace. A test checks it against Python over all code points.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

#: The ASCII part of :data:`PY_WHITESPACE` as a Rust regex class.
ASCII_WHITESPACE_CLASS = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"


def as_strings(values: pl.Series) -> pl.Series:
    """The values as a String Series; an all-null column (dtype Null) becomes one.

    Raises:
        TypeError: the column holds something other than strings.
    """
    if values.dtype == pl.String:
        return values
    if values.dtype == pl.Null:
        return values.cast(pl.String)
    raise TypeError(
        f"column {values.name!r} is {values.dtype}, the rules take strings: read CSV with "
        "infer_schema=False (JSON values with str())"
    )


def is_non_ascii(values: pl.Expr) -> pl.Expr:
    """True where a string holds any non-ASCII character (null stays null)."""
    # Comparing byte and character lengths avoids a regex scan.
    return values.str.len_bytes() != values.str.len_chars()


def per_distinct_value(
    values: pl.Series,
    where: pl.Series,
    rule: Callable[[str], Any],
    dtype: pl.DataType,
) -> pl.Series:
    """Apply a scalar rule to the values selected by ``where``, once per distinct value.

    Args:
        values: a string Series.
        where: which rows to compute (null counts as false).
        rule: the scalar rule for one value.
        dtype: the rule's result type.

    Returns:
        A Series aligned with ``values``: the rule's result where ``where`` holds, null
        elsewhere.
    """
    where = where.fill_null(False)
    picked = values.filter(where)
    distinct = picked.unique()
    results = pl.Series([rule(v) for v in distinct.to_list()], dtype=dtype)
    mapped = picked.replace_strict(distinct, results, return_dtype=dtype)
    out = pl.repeat(None, values.len(), dtype=dtype, eager=True)
    return out.scatter(where.arg_true(), mapped).alias(values.name)


def ascii_fast_path(
    values: pl.Series,
    fast: Callable[[pl.Series], pl.Series],
    rule: Callable[[str], Any],
    dtype: pl.DataType,
) -> pl.Series:
    """Run ``fast`` (exact on ASCII) and redo the non-ASCII values with the scalar ``rule``."""
    result = fast(values)
    mask = values.to_frame("v").select(is_non_ascii(pl.col("v")).fill_null(False)).to_series()
    if not mask.any():
        return result
    slow = per_distinct_value(values, mask, rule, dtype)
    return result.zip_with(~mask, slow).alias(values.name)


def patch(values: pl.Series, where: pl.Series, fix: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``values`` with the rows ``where`` selects replaced by ``fix`` of those rows.

    For operations (a regex ``replace_all``) that cost the same on rows they leave alone:
    a cheap ``contains`` picks the few rows that need them.
    """
    rows = where.fill_null(False).arg_true()
    if rows.len() == 0:
        return values
    if rows.len() == values.len():
        return fix(values)
    return values.clone().scatter(rows, fix(values.gather(rows)))


def via_distinct(
    values: pl.Series, compute: Callable[[pl.Series], pl.Series], dtype: pl.DataType
) -> pl.Series:
    """``compute(values)``, run once per distinct value when values repeat a lot.

    Podcast names, currencies and dates repeat heavily, so hashing (one pass) and
    computing on the few distinct values beats computing on every row; when most
    values are distinct, the hash pass is the only cost added.
    """
    distinct = values.unique()
    if distinct.len() * 4 > values.len():
        return compute(values)
    return values.replace_strict(distinct, compute(distinct), default=None, return_dtype=dtype)
