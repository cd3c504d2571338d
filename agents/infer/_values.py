"""A column's distinct values and how often each occurs: what every test looks at.

Business columns repeat heavily (a few countries, categories, dates, prices), so each
check runs once per distinct value, vectorised with polars, and weighs its answer by the
value's count; a 1M-row column of 400 dates costs 400 checks, not a million.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["PARSE_THRESHOLD", "Distinct", "distinct_values", "present_values"]

#: the share of a column's present values that must parse as a type for the column to
#: be given that type; the rest are reported as unparsed.
PARSE_THRESHOLD = 0.95


def present_values(series: pl.Series) -> pl.Series:
    """The column as stripped strings, with empty strings as missing (null)."""
    text = series if series.dtype == pl.String else series.cast(pl.String, strict=False)
    stripped = text.str.strip_chars()
    return stripped.set(stripped == "", None)


@dataclass(frozen=True, slots=True)
class Distinct:
    """The distinct present values of a column.

    Attributes:
        frame: columns ``v`` (the value, stripped) and ``n`` (how many rows hold it).
        rows: the column's length.
        present: rows with a value (not null, not empty).
    """

    frame: pl.DataFrame
    rows: int
    present: int

    @property
    def missing(self) -> int:
        """Rows without a value."""
        return self.rows - self.present

    @property
    def count(self) -> int:
        """How many distinct values."""
        return self.frame.height

    def weight(self, mask: pl.Expr) -> int:
        """Rows whose value satisfies ``mask`` (an expression over ``v``)."""
        if self.frame.height == 0:
            return 0
        total = self.frame.select(pl.col("n").filter(mask).sum()).item()
        return int(total or 0)

    def share(self, rows: int) -> float:
        """``rows`` as a share of the present values (0 when nothing is present)."""
        return rows / self.present if self.present else 0.0

    def enough(self, rows: int) -> bool:
        """Whether ``rows`` reach the parse threshold."""
        return self.present > 0 and rows >= PARSE_THRESHOLD * self.present

    def examples(self, mask: pl.Expr, limit: int = 3) -> tuple[str, ...]:
        """Up to ``limit`` values satisfying ``mask``, the most frequent first."""
        if self.frame.height == 0:
            return ()
        picked = self.frame.filter(mask).sort("n", "v", descending=[True, False]).head(limit)
        return tuple(picked["v"].to_list())


def distinct_values(series: pl.Series) -> Distinct:
    """Count the distinct present values of ``series``."""
    values = present_values(series).rename("v")
    counts = values.drop_nulls().value_counts(name="n")
    frame = counts.with_columns(pl.col("n").cast(pl.Int64))
    return Distinct(frame=frame, rows=series.len(), present=int(frame["n"].sum() or 0))
