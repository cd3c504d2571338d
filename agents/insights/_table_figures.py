"""The figures of a generic report: totals, breakdowns, periods and rates, as polars queries.

Decimal columns are summed by polars exactly (a 128-bit count of their last place);
integers are summed as 128-bit integers; only float columns (``number`` fields) are
summed as floats. Every sum becomes a Python ``Decimal`` (a float through its shortest
repr), and averages, shares, changes and rates are Decimal arithmetic on those sums.

Periods (``auto``): months when the dates span 60 days or more, ISO weeks (``2024-W03``)
from 14 days, days below that. Every period key is text that sorts in time order.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl

from ._compute import Breakdown, Group, Period, Table
from ._format import percent
from ._table_plan import Measure, Rate, evaluate

_KEY = "__insights_key"
_N = "__insights_n"
#: Below this many days between the first and the last date, periods are weeks.
MONTHS_FROM_DAYS = 60
#: Below this many days, periods are days.
WEEKS_FROM_DAYS = 14


def as_decimal(value: object) -> Decimal | None:
    """A sum from polars as an exact Decimal (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def quantized(value: Decimal, places: int) -> Decimal:
    """``value`` with ``places`` decimal places, half-even."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def _sum(name: str, kinds: Mapping[str, Measure]) -> pl.Expr:
    column = pl.col(name)
    if kinds[name].kind == "integer":
        column = column.cast(pl.Int128)  # no overflow of Int64 sums
    return column.sum()


@dataclass(frozen=True, slots=True)
class MeasureTotal:
    """One measure over the whole table.

    Attributes:
        total: the sum of its values (0 when it has none).
        count: how many records have a value.
        average: ``total / count``, with the measure's places, at least two (None if no value).
    """

    measure: Measure
    total: Decimal
    count: int
    average: Decimal | None


def measure_totals(table: Table, measures: Sequence[Measure]) -> tuple[int, list[MeasureTotal]]:
    """The number of records, and every measure's total, count and average (one query)."""
    kinds = {m.name: m for m in measures}
    exprs = [pl.len().alias(_N)]
    for i, m in enumerate(measures):
        exprs += [_sum(m.name, kinds).alias(f"s{i}"), pl.col(m.name).count().alias(f"c{i}")]
    row = table.collect(table.query.select(exprs)).row(0)
    found = []
    for i, m in enumerate(measures):
        total = as_decimal(row[1 + 2 * i]) or Decimal(0)
        count = int(row[2 + 2 * i])
        average = quantized(total / count, max(m.scale, 2)) if count else None
        found.append(MeasureTotal(m, total, count, average))
    return int(row[0]), found


def distinct_counts(table: Table, columns: Sequence[str]) -> dict[str, int]:
    """How many distinct non-empty values each column has (one query)."""
    if not columns:
        return {}
    exprs = [
        pl.col(c).cast(pl.String).replace("", None).drop_nulls().n_unique().alias(str(i))
        for i, c in enumerate(columns)
    ]
    row = table.collect(table.query.select(exprs)).row(0)
    return {c: int(n) for c, n in zip(columns, row, strict=True)}


def grouped(
    table: Table, key: pl.Expr, value: Measure | None, extra: Sequence[Measure]
) -> pl.DataFrame:
    """Per key: the records (``n``), the sum of ``value`` (``v``; the count without one),
    and the sum of each ``extra`` measure (``x0``, ``x1``... in order)."""
    kinds = {m.name: m for m in (*extra, *([value] if value else []))}
    aggs = [pl.len().alias(_N)]
    aggs.append((_sum(value.name, kinds) if value else pl.len()).alias("v"))
    aggs += [_sum(m.name, kinds).alias(f"x{i}") for i, m in enumerate(extra)]
    return table.collect(table.query.group_by(key.alias(_KEY)).agg(aggs))


def _group(key: object, amount: object, count: int, total: Decimal) -> Group:
    value = as_decimal(amount) or Decimal(0)
    return Group(None if key is None else str(key), value, int(count), percent(value, total))


def _pair(frame: pl.DataFrame) -> tuple[object, int]:
    amount, count = frame.row(0)
    return amount, int(count or 0)


def breakdown(
    table: Table, dimension: str, value: Measure | None, total: Decimal, *, limit: int
) -> tuple[Breakdown, pl.DataFrame]:
    """``value`` (or the record count) by the values of ``dimension``, largest first.

    Returns:
        The breakdown (``Group.revenue`` holds the amount), and the grouped frame (key
        text, ``n``, ``v``), largest first, for the per-group rates.
    """
    frame = grouped(table, pl.col(dimension).cast(pl.String), value, ())
    absent = pl.col(_KEY).is_null() | (pl.col(_KEY) == "")
    present = frame.filter(~absent).sort(["v", _KEY], descending=[True, False], nulls_last=True)
    lacking = frame.filter(absent).select(pl.col("v").sum(), pl.col(_N).sum())
    groups = [_group(k, v, n, total) for k, n, v in present.head(limit).iter_rows()]
    rest = present.slice(limit).select(pl.col("v").sum(), pl.col(_N).sum())
    others = _group(None, *_pair(rest), total) if present.height > limit else None
    missing = _group(None, *_pair(lacking), total) if frame.filter(absent).height else None
    return Breakdown(groups, others, missing, present.height), present


def period_unit(table: Table, time: str, asked: str) -> str:
    """The period unit: ``asked`` unless ``auto`` (see the module's description)."""
    if asked != "auto":
        return asked
    span = table.query.select(pl.col(time).min().alias("low"), pl.col(time).max().alias("high"))
    low, high = table.collect(span).row(0)
    if low is None or high is None:
        return "month"
    days = (_as_date(high) - _as_date(low)).days
    if days >= MONTHS_FROM_DAYS:
        return "month"
    return "week" if days >= WEEKS_FROM_DAYS else "day"


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def period_key(time: str, unit: str) -> pl.Expr:
    """The period of each record as sortable text (``2024-05``, ``2024-W19``, ``2024-Q2``)."""
    column = pl.col(time)
    if unit == "day":
        return column.dt.strftime("%Y-%m-%d")
    if unit == "week":
        return column.dt.strftime("%G-W%V")
    if unit == "quarter":
        return pl.format("{}-Q{}", column.dt.year(), column.dt.quarter())
    if unit == "year":
        return column.dt.strftime("%Y")
    return column.dt.strftime("%Y-%m")


def periods(
    table: Table, time: str, unit: str, value: Measure | None, total: Decimal
) -> list[Period]:
    """``value`` (or the record count) per period, oldest first, records without a date
    last; each period's change is against the previous one that has records."""
    frame = grouped(table, period_key(time, unit), value, ())
    rows = sorted(frame.iter_rows(), key=lambda r: (r[0] is None, r[0] or ""))
    found: list[Period] = []
    before: Period | None = None
    for key, count, amount in rows:
        v = as_decimal(amount) or Decimal(0)
        share = percent(v, total)
        if key is None or before is None:
            found.append(Period(key, v, int(count), share))
        else:
            change = v - before.revenue
            found.append(
                Period(
                    key,
                    v,
                    int(count),
                    share,
                    before.period,
                    change,
                    percent(change, before.revenue),
                )
            )
        if key is not None:
            before = found[-1]
    return found


def rate_value(rate: Rate, sums: Mapping[str, Decimal]) -> Decimal | None:
    """A rate over sums: its formula with each input replaced by its sum."""
    return evaluate(rate.node, sums)


def rates_by_group(
    table: Table,
    dimension: str,
    keys: Sequence[str | None],
    rates: Sequence[Rate],
    measures: Mapping[str, Measure],
) -> dict[str, dict[str | None, Decimal | None]]:
    """Each rate for each listed value of ``dimension``, over that group's sums."""
    inputs = [measures[f] for f in dict.fromkeys(f for r in rates for f in r.inputs)]
    frame = grouped(table, pl.col(dimension).cast(pl.String), None, inputs)
    sums = {
        row[_KEY]: {m.name: as_decimal(row[f"x{i}"]) or Decimal(0) for i, m in enumerate(inputs)}
        for row in frame.iter_rows(named=True)
    }
    return {r.name: {k: rate_value(r, sums.get(k, {})) for k in keys} for r in rates}
