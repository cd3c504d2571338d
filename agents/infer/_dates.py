"""Dates and datetimes as business tables write them, and their day/month order.

Accepted date forms (``-``, ``/`` or ``.`` between parts): year first ``2024-05-03``,
``2024/05/03`` (always year-month-day); day-month forms ``03/05/2024`` or ``05/03/2024``
(read in the column's order, see below); month names ``3 May 2024``, ``3rd May 2024``,
``May 3, 2024``, ``Sept 3 2024``. A datetime is one of them followed by ``T`` or spaces
and a time ``10:30``, ``10:30:15.250``, ``9:05 PM``, optionally ``Z`` or ``+02:00``
(the offset is accepted, not applied).

The order of a day-month column is settled by its values: a first number above 12 needs
day-month (``dmy``), a second above 12 needs month-day (``mdy``). A column needing both
is mixed, and cannot be read. A column whose every day-month value fits both orders is
ambiguous: it is read in the order asked for, else month-day (``mdy``), and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from actorflow.contracts import DateOrder

from ._values import Distinct

__all__ = ["AMBIGUOUS_DEFAULT", "DateStats", "date_stats", "parse_dates"]

#: the order an all-ambiguous day-month column is read in when none is asked for.
AMBIGUOUS_DEFAULT: Literal["mdy"] = "mdy"

_SPLIT = (
    r"^(?P<date>.+?)(?:(?:T|\s+)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,9})?)?"
    r"\s*(?P<ap>[AaPp][Mm])?\s*(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_YMD = r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"
_DM = r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4})$"
_D_MON = r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s-]+(?P<mon>[A-Za-z]{3,9})\.?,?[\s-]+(?P<y>\d{4})$"
_MON_D = r"^(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})$"

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTHS: dict[str, int] = {}
for _number, _name in enumerate(_MONTH_NAMES, start=1):
    _MONTHS[_name] = _number
    _MONTHS[_name[:3]] = _number
_MONTHS["sept"] = 9


def _int(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.Int32, strict=False)


def _pieces(value: pl.Expr) -> list[pl.Expr]:
    """Columns ``kind`` (ymd, dm, named), ``y``, ``m``, ``d``, ``a``, ``b``, time parts."""
    split = value.str.extract_groups(_SPLIT)
    date = split.struct.field("date")
    ymd = date.str.extract_groups(_YMD)
    dm = date.str.extract_groups(_DM)
    d_mon = date.str.extract_groups(_D_MON)
    mon_d = date.str.extract_groups(_MON_D)
    mon = pl.coalesce(d_mon.struct.field("mon"), mon_d.struct.field("mon")).str.to_lowercase()
    named_month = mon.replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
    kind = (
        pl.when(ymd.struct.field("y").is_not_null())
        .then(pl.lit("ymd"))
        .when(dm.struct.field("y").is_not_null())
        .then(pl.lit("dm"))
        .when(named_month.is_not_null())
        .then(pl.lit("named"))
    )
    return [
        kind.alias("kind"),
        _int(
            pl.coalesce(
                ymd.struct.field("y"),
                dm.struct.field("y"),
                d_mon.struct.field("y"),
                mon_d.struct.field("y"),
            )
        ).alias("y"),
        pl.coalesce(_int(ymd.struct.field("m")), named_month).alias("m"),
        _int(
            pl.coalesce(ymd.struct.field("d"), d_mon.struct.field("d"), mon_d.struct.field("d"))
        ).alias("d"),
        _int(dm.struct.field("a")).alias("a"),
        _int(dm.struct.field("b")).alias("b"),
        _int(split.struct.field("h")).alias("h"),
        _int(split.struct.field("mi")).alias("mi"),
        _int(split.struct.field("s")).fill_null(0).alias("s"),
        split.struct.field("ap").str.to_lowercase().alias("ap"),
    ]


def _ymd(order: Literal["mdy", "dmy"]) -> tuple[pl.Expr, pl.Expr]:
    """Month and day of every kind of value, day-month ones read in ``order``."""
    first, second = pl.col("a"), pl.col("b")
    dm_month, dm_day = (first, second) if order == "mdy" else (second, first)
    is_dm = pl.col("kind") == "dm"
    month = pl.when(is_dm).then(dm_month).otherwise(pl.col("m"))
    day = pl.when(is_dm).then(dm_day).otherwise(pl.col("d"))
    return month, day


def _date(order: Literal["mdy", "dmy"]) -> pl.Expr:
    """The calendar date (null when there is none, e.g. 2024-02-30)."""
    month, day = _ymd(order)
    text = pl.concat_str(
        pl.col("y").cast(pl.String).str.zfill(4),
        month.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
        separator="-",
    )
    return text.str.to_date("%Y-%m-%d", strict=False)


def _hour() -> pl.Expr:
    h, ap = pl.col("h"), pl.col("ap")
    return (
        pl.when(ap.is_null())
        .then(pl.when(h <= 23).then(h))
        .when((h >= 1) & (h <= 12))
        .then(pl.when(ap == "pm").then(h % 12 + 12).otherwise(h % 12))
    )


def _time_ok() -> pl.Expr:
    """No time, or a valid one."""
    return pl.col("h").is_null() | (
        _hour().is_not_null() & (pl.col("mi") <= 59) & (pl.col("s") <= 59)
    )


@dataclass(frozen=True, slots=True)
class DateStats:
    """What the present values of a column say about it as dates.

    Attributes:
        parsed: rows whose value is a valid date or datetime in ``order``.
        with_time: rows among them with a time of day.
        day_month: rows written day-month (``03/05/2024``) in either order.
        ambiguous: rows among them valid in both orders.
        order: the order day-month values are read in; ``None`` if there are none.
        settled: whether the values settle the order (else it was asked for or default).
        needs_dmy: examples that only day-month order reads (``13/05/2024``).
        needs_mdy: examples that only month-day order reads (``05/13/2024``).
        failed: examples of values that are no date in ``order``.
    """

    parsed: int
    with_time: int
    day_month: int
    ambiguous: int
    order: Literal["mdy", "dmy"] | None
    settled: bool
    needs_dmy: tuple[str, ...]
    needs_mdy: tuple[str, ...]
    failed: tuple[str, ...] = ()

    @property
    def mixed(self) -> bool:
        """Some values need day-month order and others month-day: unreadable."""
        return bool(self.needs_dmy and self.needs_mdy)


def date_stats(values: Distinct, *, date_order: DateOrder | None = None) -> DateStats:
    """Check the distinct values of a column as dates.

    Args:
        values: the column's distinct values.
        date_order: the order of an all-ambiguous day-month column (``ymd`` does not
            apply to day-month values: they are then read ``mdy``, as by default).
    """
    if values.count == 0:
        return DateStats(0, 0, 0, 0, None, settled=False, needs_dmy=(), needs_mdy=())
    frame = values.frame.with_columns(_pieces(pl.col("v")))
    a, b = pl.col("a"), pl.col("b")
    is_dm = pl.col("kind") == "dm"
    need_dmy = is_dm & (a > 12) & (b <= 12)
    need_mdy = is_dm & (b > 12) & (a <= 12)
    ambiguous = is_dm & (a <= 12) & (b <= 12) & (a >= 1) & (b >= 1)
    dm = Distinct(frame=frame, rows=values.rows, present=values.present)
    dmy_examples = dm.examples(need_dmy)
    mdy_examples = dm.examples(need_mdy)
    day_month = dm.weight(is_dm)
    settled = bool(dmy_examples) != bool(mdy_examples)
    order: Literal["mdy", "dmy"] | None
    if dmy_examples and not mdy_examples:
        order = "dmy"
    elif mdy_examples and not dmy_examples:
        order = "mdy"
    elif day_month:
        order = "dmy" if date_order == "dmy" else AMBIGUOUS_DEFAULT
    else:
        order = None
    ok = (_date(order or AMBIGUOUS_DEFAULT).is_not_null() & _time_ok()).fill_null(value=False)
    return DateStats(
        parsed=dm.weight(ok),
        with_time=dm.weight(ok & pl.col("h").is_not_null()),
        day_month=day_month,
        ambiguous=dm.weight(ambiguous),
        order=order,
        settled=settled,
        needs_dmy=dmy_examples,
        needs_mdy=mdy_examples,
        failed=dm.examples(~ok.fill_null(value=False)),
    )


def parse_dates(
    series: pl.Series, *, order: DateOrder | None = None, with_time: bool = False
) -> pl.Series:
    """Parse dates in any of the accepted forms; what is no date becomes null.

    Args:
        series: strings.
        order: how day-month values (``03/05/2024``) are read: ``dmy`` or ``mdy``
            (``ymd`` or ``None``: ``mdy``). Year-first and month-name forms need none.
        with_time: return datetimes (a date alone is midnight); else dates, any time
            of day dropped.
    """
    day_month: Literal["mdy", "dmy"] = "dmy" if order == "dmy" else AMBIGUOUS_DEFAULT
    frame = pl.DataFrame({"v": series.cast(pl.String).str.strip_chars()}).with_columns(
        _pieces(pl.col("v"))
    )
    date = pl.when(_time_ok()).then(_date(day_month))
    if with_time:
        moment = date.cast(pl.Datetime("us")) + pl.duration(
            hours=_hour().fill_null(0), minutes=pl.col("mi").fill_null(0), seconds=pl.col("s")
        )
        return frame.select(moment.alias(series.name)).to_series()
    return frame.select(date.alias(series.name)).to_series()
