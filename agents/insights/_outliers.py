"""Outliers: records whose revenue is far from the median, by the robust z-score.

The modified z-score of Iglewicz and Hoaglin: ``z = 0.6745 * (x - median) / MAD``, with
MAD the median absolute deviation from the median; ``|z| > 3.5`` marks an outlier. Unlike
a z-score on the mean and standard deviation, a few huge values cannot hide themselves by
inflating the spread.

The median and the MAD are exact: they are taken on whole cents doubled (so a median
halfway between two cents is still an integer), and only the final ratio is a float (a
score, not money). When more than half the values are equal the MAD is 0; then the mean
absolute deviation stands in, scaled by 1.253314 so that both estimate the same spread
on normal data, as the same authors suggest. If that is 0 too, every value is equal and
nothing is an outlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from ._compute import Table

_CONSISTENCY = 0.6745  # the 0.75 quantile of the standard normal
_MEAN_AD_SCALE = 1.253314  # sqrt(pi / 2): mean absolute deviation to MAD on normal data
_Z = "__insights_z"
_ROW = "__insights_row"


@dataclass(frozen=True, slots=True)
class Outliers:
    """The outlier test over one table.

    Attributes:
        median: the median revenue (may have a half cent).
        mad: the median absolute deviation (may have a half cent).
        scale: ``mad`` or, when it is 0, the mean absolute deviation estimate used.
        threshold: the ``|z|`` above which a record is an outlier.
        count: outliers found.
        rows: the outlier rows, largest ``|z|`` first (then input order), with a ``z``
            column rounded to two places; at most the number asked for.
    """

    median: Decimal | None
    mad: Decimal | None
    scale: str
    threshold: float
    count: int
    rows: pl.DataFrame


def _median_of_sorted(values: pl.Series) -> int:
    """The median of sorted integers, doubled (exact: the sum of the middle two)."""
    n = values.len()
    upper = int(values[n // 2])
    lower = int(values[(n - 1) // 2])
    return lower + upper


def find_outliers(
    frame: pl.DataFrame | Table, value: str, *, threshold: float = 3.5, limit: int = 10
) -> Outliers:
    """Score every record's ``value`` (a Decimal column, of any scale) and keep the outliers.

    Args:
        frame: the records; rows whose value is null are not scored.
        value: the money column.
        threshold: ``|z|`` above this is an outlier.
        limit: how many outlier rows to return (all are counted).
    """
    table = frame if isinstance(frame, Table) else Table.of(frame)
    # The exact median needs the money column whole; of the other columns only the
    # rows listed are read.
    column = table.collect(table.query.select(value)).to_series()
    # Whole units of the column's last place (cents for money): exact integers.
    dtype = column.dtype
    unit = 10 ** (dtype.scale or 0) if isinstance(dtype, pl.Decimal) else 1
    cents = column.to_physical()
    present = cents.drop_nulls().sort()
    empty = pl.DataFrame(schema=table.schema).with_columns(pl.lit(None, pl.Float64).alias("z"))
    if present.len() == 0:
        return Outliers(None, None, "mad", threshold, 0, empty)
    median2 = _median_of_sorted(present)  # twice the median, in cents
    two = pl.lit(2, pl.Int128)
    deviations2 = (
        present.to_frame().select((pl.col(value) * two - pl.lit(median2, pl.Int128)).abs())
    ).to_series()
    mad2 = _median_of_sorted(deviations2.sort())  # twice the doubled MAD: 4 * MAD cents
    median = Decimal(median2) / (2 * unit)
    mad = Decimal(mad2) / (4 * unit)
    if mad2:
        scale, spread = "mad", mad2 / 2 / _CONSISTENCY  # doubled cents, like the deviations
    else:
        mean = deviations2.cast(pl.Float64).mean()
        mean2 = mean if isinstance(mean, float) else 0.0
        scale, spread = "mean_absolute_deviation", _MEAN_AD_SCALE * mean2
    if not spread:
        return Outliers(median, mad, scale, threshold, 0, empty)
    # Scored on the value column alone; only the rows listed are taken from the table.
    scored = cents.to_frame().select(
        ((pl.col(value) * two - pl.lit(median2, pl.Int128)).cast(pl.Float64) / spread).alias(_Z)
    )
    flagged = scored.with_row_index(_ROW).filter(pl.col(_Z).abs() > threshold)
    top = flagged.sort([pl.col(_Z).abs(), pl.col(_ROW)], descending=[True, False]).head(limit)
    listed = table.collect(
        table.query.with_row_index(_ROW).filter(pl.col(_ROW).is_in(top.get_column(_ROW).implode()))
    )
    rows = (
        top.select(_ROW)
        .join(listed, on=_ROW, how="left", maintain_order="left")
        .drop(_ROW)
        .with_columns(top.get_column(_Z).round(2).alias("z"))
    )
    return Outliers(median, mad, scale, threshold, flagged.height, rows)
