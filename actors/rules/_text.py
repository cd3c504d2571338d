"""Python's character semantics for the vectorized rules, and the non-ASCII escape hatch.

The scalar rules lean on Python's Unicode tables (``str.split``, ``str.title``,
``str.upper``, ``re``'s ``\\s`` and ``\\d``). Polars uses Rust's, which differ: ``\\s`` leaves
out ``\\x1c``-``\\x1f``, ``to_titlecase`` starts a word after any non-alphabetic character
(Python: after any uncased one, so ``"xǀx".title() == "XǀX"``), and Rust ships a newer
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
    non_ascii = values.to_frame("v").select(is_non_ascii(pl.col("v")).fill_null(False))
    mask = non_ascii.to_series()
    if not mask.any():
        return result
    slow = per_distinct_value(values, mask, rule, dtype)
    return result.zip_with(~mask, slow).alias(values.name)
