"""Reading a table of strings as its contract's types, one field at a time.

Each field's column is trimmed (an empty value is missing) and parsed with the public
parsers of :mod:`actorflow.agents.infer`: money and decimals exactly, rounded half-even
to their scale (default 2); integers only when whole; dates and datetimes in the
contract's date order; booleans from their words. Text fields keep their text; a
category also has its runs of spaces collapsed (folding its spellings is an operation,
see :func:`fold_categories`). A present value that does not parse is *unparsed*.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from actorflow.agents.infer import parse_booleans, parse_dates, parse_numbers
from actorflow.contracts import FieldSpec, TableContract

__all__ = ["DEFAULT_SCALE", "TypedField", "dtype_of", "fold_categories", "type_field"]

#: Digits of a money or decimal field that does not state its scale.
DEFAULT_SCALE = 2
# Digits read before rounding half-even to a field's scale: more are cut as polars casts
# text (a tie hidden past the 18th digit rounds as the tie would).
_READ_SCALE = 18
_SPACES = r"\s+"
# A column with at most one distinct value per this many rows is parsed per distinct value.
_REPEATS = 4


def dtype_of(spec: FieldSpec) -> pl.DataType:  # noqa: PLR0911  # one per type
    """The polars type a field's values take."""
    kind = spec.type
    if kind in ("money", "decimal"):
        return pl.Decimal(38, spec.scale if spec.scale is not None else DEFAULT_SCALE)
    if kind == "integer":
        return pl.Int64()
    if kind == "number":
        return pl.Float64()
    if kind == "date":
        return pl.Date()
    if kind == "datetime":
        return pl.Datetime("us")
    if kind == "boolean":
        return pl.Boolean()
    return pl.String()


@dataclass(frozen=True, slots=True)
class TypedField:
    """One field read from its column.

    Attributes:
        values: the typed values (null where missing or unparsed).
        text: the trimmed source text (null where missing), for reasons.
        missing: rows with no value (null or blank).
        unparsed: rows with a value that is not of the field's type.
    """

    values: pl.Series
    text: pl.Series
    missing: pl.Series
    unparsed: pl.Series


def _exact(text: pl.Series, scale: int) -> pl.Series:
    longest = text.str.extract(r"\.(\d+)").str.len_chars().max()
    frac = longest if isinstance(longest, int) else 0
    digits = min(max(frac, scale), _READ_SCALE)
    read = parse_numbers(text, scale=digits)
    # polars rounds a Decimal half-even; the cast then only drops zeros.
    return read.round(scale).cast(pl.Decimal(38, scale))


def _integers(text: pl.Series) -> pl.Series:
    floats = parse_numbers(text)
    whole = parse_numbers(text, scale=0).cast(pl.Int64, strict=False)
    return pl.select(pl.when(floats == floats.floor()).then(whole).alias(text.name)).to_series()


def _parse(  # noqa: PLR0911  # one per type
    spec: FieldSpec, text: pl.Series, contract: TableContract
) -> pl.Series:
    kind = spec.type
    if kind in ("money", "decimal"):
        return _exact(text, spec.scale if spec.scale is not None else DEFAULT_SCALE)
    if kind == "integer":
        return _integers(text)
    if kind == "number":
        return parse_numbers(text)
    if kind in ("date", "datetime"):
        return parse_dates(text, order=contract.order_of(spec), with_time=kind == "datetime")
    if kind == "boolean":
        return parse_booleans(text)
    if kind == "category":
        return text.str.replace_all(_SPACES, " ")
    return text


def type_field(
    spec: FieldSpec, column: pl.Series | None, contract: TableContract, height: int
) -> TypedField:
    """Read ``column`` (None: the table has no column for the field) as ``spec`` says."""
    if column is None:
        text = pl.Series(spec.name, [None] * height, pl.String)
    else:
        raw = column if column.dtype == pl.String else column.cast(pl.String)
        text = raw.str.strip_chars().alias(spec.name)
        text = pl.select(pl.when(text.str.len_bytes() > 0).then(text).alias(spec.name)).to_series()
    missing = text.is_null()
    dtype = dtype_of(spec)
    distinct = text.unique()
    if distinct.len() * _REPEATS <= text.len():
        # Business columns repeat (dates, counts, categories): parse each distinct value
        # once and look the rows up (1M dates: 3.4 s parsed per row, 0.1 s so).
        parsed = _parse(spec, distinct, contract).cast(dtype)
        values = text.replace_strict(distinct, parsed, default=None, return_dtype=dtype)
    else:
        values = _parse(spec, text, contract).cast(dtype)
    values = values.alias(spec.name)
    return TypedField(values, text, missing, ~missing & values.is_null())


def fold_categories(values: pl.Series) -> pl.Series:
    """One spelling per case-insensitive group: the most frequent, ties to the first seen.

    ``" Home  Goods"``, ``"home goods"`` and ``"HOME GOODS"`` are one category; the
    spelling most rows use names it, and when spellings tie the one that occurs first
    does. Values are compared once per distinct spelling, not once per row.
    """
    counts = (
        pl.DataFrame({"v": values})
        .with_row_index("i")
        .drop_nulls("v")
        .group_by("v")
        .agg(n=pl.len(), first=pl.col("i").min())
        .with_columns(k=pl.col("v").str.to_lowercase())
        .sort(["k", "n", "first"], descending=[False, True, False])
    )
    chosen = counts.group_by("k", maintain_order=True).agg(c=pl.col("v").first())
    mapping = counts.join(chosen, on="k").filter(pl.col("v") != pl.col("c"))
    if mapping.is_empty():
        return values
    return values.replace(mapping["v"], mapping["c"])
