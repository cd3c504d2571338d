"""Normalization of names and currency codes (spec §2)."""

from __future__ import annotations

import polars as pl

from ._text import ASCII_WHITESPACE_CLASS, as_strings, ascii_fast_path, patch, via_distinct


def normalize_name(value: str | None) -> str | None:
    """Collapse whitespace and title-case a name: ``" ".join(value.split()).title()``.

    Args:
        value: the raw name.

    Returns:
        The normalized name (possibly empty); None stays None.
    """
    if value is None:
        return None
    return " ".join(value.split()).title()


def normalize_currency(value: str | None) -> str | None:
    """Strip and upper-case a currency code: ``value.strip().upper()``.

    Args:
        value: the raw code.

    Returns:
        The normalized code (possibly empty); None stays None.
    """
    if value is None:
        return None
    return value.strip().upper()


# Whitespace that " ".join(value.split()) changes: a run of two or more, or any single
# whitespace character other than a space (edges are stripped separately).
_UNTIDY_SPACE = rf"{ASCII_WHITESPACE_CLASS}{{2,}}|[\t\n\x0b\x0c\r\x1c-\x1f]"


def _name_ascii(values: pl.Series) -> pl.Series:
    # On ASCII, Rust's to_titlecase and str.title() agree ("Joe'S", "3Am", "X1Y").
    collapsed = patch(
        values,
        values.str.contains(_UNTIDY_SPACE),
        lambda v: v.str.replace_all(ASCII_WHITESPACE_CLASS + "+", " "),
    )
    return collapsed.str.strip_chars(" ").str.to_titlecase()


def _currency_ascii(values: pl.Series) -> pl.Series:
    return values.str.strip_chars("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ").str.to_uppercase()


def _normalize_names(values: pl.Series) -> pl.Series:
    return ascii_fast_path(values, _name_ascii, normalize_name, pl.String())


def _normalize_currencies(values: pl.Series) -> pl.Series:
    return ascii_fast_path(values, _currency_ascii, normalize_currency, pl.String())


def normalize_name_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`normalize_name` over a string Series."""
    values = as_strings(values)
    return via_distinct(values, _normalize_names, pl.String())


def normalize_currency_series(values: pl.Series) -> pl.Series:
    """Vectorized :func:`normalize_currency` over a string Series."""
    values = as_strings(values)
    return via_distinct(values, _normalize_currencies, pl.String())


def normalize_name_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`normalize_name`.

    Args:
        value: a string expression.
    """
    return value.map_batches(normalize_name_series, return_dtype=pl.String, is_elementwise=True)


def normalize_currency_expr(value: pl.Expr) -> pl.Expr:
    """Vectorized :func:`normalize_currency`.

    Args:
        value: a string expression.
    """
    return value.map_batches(normalize_currency_series, return_dtype=pl.String, is_elementwise=True)
