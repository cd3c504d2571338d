"""The figures: totals, revenue by period and by dimension, with exact Decimal money.

Every sum is a polars sum over ``Decimal(38, 2)`` (an exact 128-bit count of cents);
averages, shares and changes are Decimal arithmetic on those sums. Nothing goes through a
float.

Each figure is one polars query over a :class:`Table`. Over records on disk the queries
are streamed from the files, a batch at a time, so a summary of any size holds only its
groups in memory (the outliers' median excepted: it sorts the money column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

import polars as pl

from actorflow.agents.rules import compute_rpm, parse_impressions_expr
from actorflow.contracts import Records, query_engine

from ._format import CENT, percent

_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PERIOD = "__insights_period"


@dataclass(frozen=True, slots=True)
class Table:
    """The records a report is computed over: a lazy query and how to run it.

    Attributes:
        query: the records.
        schema: their columns and types.
        engine: the polars engine queries run on (streaming for records on disk).
    """

    query: pl.LazyFrame
    schema: pl.Schema
    engine: Literal["streaming", "in-memory"] = "in-memory"

    @classmethod
    def of(cls, records: pl.DataFrame | Records) -> Table:
        return cls(records.lazy(), pl.Schema(records.schema), query_engine(records))

    @property
    def columns(self) -> list[str]:
        return self.schema.names()

    def collect(self, query: pl.LazyFrame) -> pl.DataFrame:
        """Run a query over this table (built from :attr:`query`)."""
        return query.collect(engine=self.engine)

    def change(self, query: pl.LazyFrame) -> Table:
        """The same table read through ``query`` (built from :attr:`query`)."""
        return Table(query, query.collect_schema(), self.engine)


@dataclass(frozen=True, slots=True)
class Totals:
    """The whole table in a few numbers (``impressions``/``rpm`` None without a column)."""

    count: int
    revenue: Decimal
    average: Decimal | None
    impressions: int | None
    rpm: Decimal | None


@dataclass(frozen=True, slots=True)
class Group:
    """Revenue of one value of a dimension."""

    value: str | None
    revenue: Decimal
    count: int
    share_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class Period:
    """Revenue of one period, and its change from the period before it that has records."""

    period: str | None
    revenue: Decimal
    count: int
    share_pct: Decimal | None
    previous: str | None = None
    change: Decimal | None = None
    change_pct: Decimal | None = None


def _decimal(value: object) -> Decimal:
    # A sum over no rows is null (or 0 as an int); both mean nothing earned.
    return Decimal(0).quantize(CENT) if value is None else Decimal(str(value)).quantize(CENT)


def totals(table: Table, value: str, impressions: str = "impressions") -> Totals:
    """Count, total and average revenue, total impressions and the overall rpm."""
    figures = [pl.len().alias("count"), pl.col(value).sum().alias("revenue")]
    dtype = table.schema.get(impressions)
    counted = dtype is not None and (dtype.is_integer() or dtype == pl.String)
    if counted:
        column = pl.col(impressions)
        parsed = parse_impressions_expr(column) if dtype == pl.String else column
        figures.append(parsed.cast(pl.Int128).sum().alias("impressions"))
    found = table.collect(table.query.select(figures)).row(0, named=True)
    count = int(found["count"])
    revenue = _decimal(found["revenue"]) if count else Decimal("0.00")
    average = (revenue / count).quantize(CENT, rounding=ROUND_HALF_EVEN) if count else None
    shown: int | None = None
    rpm: Decimal | None = None
    if counted:
        shown = int(found["impressions"] or 0)
        rpm = compute_rpm(revenue, shown)
    return Totals(count, revenue, average, shown, rpm)


def with_period(table: Table, period: str, date: str) -> Table:
    """Add the working period column: ``period`` as given, else ``YYYY-MM`` of ``date``."""
    schema = table.schema
    if schema.get(period) == pl.String:
        expr = pl.col(period)  # (a cast to the same type would copy the column)
    elif schema.get(period) is not None:
        expr = pl.col(period).cast(pl.String)
    elif schema.get(date) == pl.String:
        iso = pl.col(date).str.contains(_ISO_DATE)
        expr = pl.when(iso).then(pl.col(date).str.slice(0, 7))
    else:
        expr = pl.lit(None, pl.String)
    return table.change(table.query.with_columns(expr.alias(_PERIOD)))


def _groups(table: Table, key: str, value: str) -> list[tuple[str | None, Decimal, int]]:
    query = table.query.group_by(key).agg(pl.col(value).sum().alias("revenue"), pl.len().alias("n"))
    grouped = table.collect(query)
    return [(None if k is None else str(k), _decimal(r), int(n)) for k, r, n in grouped.iter_rows()]


def by_period(table: Table, value: str, total: Decimal) -> list[Period]:
    """Revenue per period, ascending, the records without a period last.

    Each period's change is against the period before it in this list (the previous one
    with records, which is the previous month unless months are missing).
    """
    rows = sorted(_groups(table, _PERIOD, value), key=lambda g: (g[0] is None, g[0] or ""))
    periods: list[Period] = []
    before: Period | None = None
    for key, revenue, count in rows:
        share = percent(revenue, total)
        if key is None or before is None:
            periods.append(Period(key, revenue, count, share))
        else:
            change = revenue - before.revenue
            periods.append(
                Period(
                    key,
                    revenue,
                    count,
                    share,
                    previous=before.period,
                    change=change,
                    change_pct=percent(change, before.revenue),
                )
            )
        if key is not None:
            before = periods[-1]
    return periods


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Revenue by the values of one dimension.

    Attributes:
        groups: the values with the most revenue (then by value), at most the limit asked.
        others: the remaining values added up (``value`` None), or None if none remain.
        missing: the records without a value (null or empty), or None if there are none.
        distinct: how many distinct values there are.
    """

    groups: list[Group]
    others: Group | None
    missing: Group | None
    distinct: int


def by_dimension(
    table: Table, dimension: str, value: str, total: Decimal, *, limit: int
) -> Breakdown:
    """Revenue per value of ``dimension``, largest first, the tail past ``limit`` summed.

    The grouping and ranking stay in polars, so a dimension with a million values costs
    one sort, and only ``limit`` groups become Python objects.
    """
    key = pl.col(dimension).cast(pl.String)
    grouped = table.collect(
        table.query.group_by(key.alias("key"))
        .agg(pl.col(value).sum().alias("revenue"), pl.len().alias("n"))
        .with_columns(pl.col("revenue").fill_null(0))
    )
    absent = pl.col("key").is_null() | (pl.col("key") == "")
    present = grouped.filter(~absent).sort(["revenue", "key"], descending=[True, False])
    missing = grouped.filter(absent).select(pl.col("revenue").sum(), pl.col("n").sum())

    def group(label: str | None, revenue: object, count: int | None) -> Group:
        amount = _decimal(revenue)
        return Group(label, amount, int(count or 0), percent(amount, total))

    groups = [group(k, r, n) for k, r, n in present.head(limit).iter_rows()]
    rest = present.slice(limit).select(pl.col("revenue").sum(), pl.col("n").sum())
    others = group(None, *rest.row(0)) if present.height > limit else None
    lacking = group(None, *missing.row(0)) if grouped.filter(absent).height else None
    return Breakdown(groups, others, lacking, present.height)


def currency_counts(table: Table, column: str = "currency") -> dict[str, int]:
    """Currency codes (case and surrounding space ignored) and their records, most first."""
    if table.schema.get(column) != pl.String:
        return {}
    # Counted by the codes as written first: the few distinct ones are then normalized
    # and merged, instead of normalizing every record's code.
    counts = (
        table.collect(table.query.group_by(column).len())
        .select(pl.col(column).str.strip_chars().str.to_uppercase(), "len")
        .filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
        .group_by(column)
        .agg(pl.col("len").sum())
        .sort(["len", column], descending=[True, False])
    )
    return {str(k): int(n) for k, n in counts.iter_rows()}


def dimensions_present(table: Table, wanted: Sequence[str]) -> list[str]:
    """The wanted dimensions the table has, in order."""
    return [d for d in wanted if d in table.schema]


PERIOD_COLUMN = _PERIOD
