"""From records and processing stats to the insights, the summary and the report data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import polars as pl

from actorflow.contracts import DataValidationError, Records

from . import _sentences as say
from ._compute import (
    PERIOD_COLUMN,
    Breakdown,
    Group,
    Period,
    Table,
    Totals,
    by_dimension,
    by_period,
    currency_counts,
    dimensions_present,
    totals,
    with_period,
)
from ._format import EXACT, money, percent
from ._inputs import money_column
from ._outliers import Outliers, find_outliers
from ._params import DEFAULT_DIMENSIONS, InsightsParams
from ._quality import data_quality

_NAME_DIMENSIONS = ("podcast_name", "name")


@dataclass(slots=True)
class Report:
    """Everything the agent outputs, before rendering.

    Attributes:
        insights: each ``{"kind", "title", "sentence", "data"}``.
        summary: the figures as plain data (money as Decimal strings).
        totals: the totals.
        periods: revenue by period.
        dimensions: revenue by each dimension's values.
        top_dimension: the dimension of the top-N chart (a name one when present).
        outliers: the outlier test.
        warnings: problems that did not stop the stage.
    """

    insights: list[dict[str, Any]]
    summary: dict[str, Any]
    totals: Totals
    periods: list[Period]
    dimensions: dict[str, Breakdown]
    top_dimension: str | None
    outliers: Outliers
    params: InsightsParams
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _insight(kind: str, title: str, sentence: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "title": title, "sentence": sentence, "data": data}


def _period_data(p: Period) -> dict[str, Any]:
    return {
        "period": p.period,
        "revenue": money(p.revenue),
        "count": p.count,
        "share_pct": None if p.share_pct is None else str(p.share_pct),
        "previous": p.previous,
        "change": None if p.change is None else money(p.change),
        "change_pct": None if p.change_pct is None else str(p.change_pct),
    }


def _group_data(g: Group) -> dict[str, Any]:
    return {
        "value": g.value,
        "revenue": money(g.revenue),
        "count": g.count,
        "share_pct": None if g.share_pct is None else str(g.share_pct),
    }


def _breakdown_data(b: Breakdown) -> dict[str, Any]:
    return {
        "values": [_group_data(g) for g in b.groups],
        "others": None if b.others is None else _group_data(b.others),
        "missing": None if b.missing is None else _group_data(b.missing),
        "distinct": b.distinct,
    }


def _outlier_rows(
    outliers: Outliers, params: InsightsParams, name: str | None
) -> list[dict[str, Any]]:
    rows = []
    for row in outliers.rows.iter_rows(named=True):
        revenue = row[params.value_field]
        rows.append(
            {
                "id": row.get(params.id_field),
                "name": row.get(name) if name else None,
                "source": row.get("source"),
                "period": row.get(PERIOD_COLUMN),
                "revenue": money(revenue),
                "z": row["z"],
            }
        )
    return rows


def columns_read(params: InsightsParams, columns: Sequence[str]) -> list[str]:
    """The columns a report reads, of ``columns``: all that records on disk are read with."""
    wanted = {
        params.value_field,
        params.period_field,
        params.id_field,
        "impressions",
        "source",
        "currency",
        *(DEFAULT_DIMENSIONS if params.dimensions is None else params.dimensions),
        *_NAME_DIMENSIONS,
    }
    if params.period_field not in columns:
        wanted.add(params.date_field)
    return [c for c in columns if c in wanted and c != PERIOD_COLUMN]


def _chosen_dimensions(table: Table, params: InsightsParams, stage: str) -> list[str]:
    if params.dimensions is None:
        return dimensions_present(table, DEFAULT_DIMENSIONS)
    missing = [d for d in params.dimensions if d not in table.schema]
    if missing:
        raise DataValidationError(
            f"stage {stage!r}: params.dimensions names {missing}, which the records lack "
            f"(columns: {table.columns})"
        )
    return list(params.dimensions)


def _period_insights(periods: list[Period], month: str | None) -> list[dict[str, Any]]:
    """The processing month (or latest period) against the one before, and the best one."""
    known = [p for p in periods if p.period is not None]
    if not known:
        return []
    insights = []
    current = next((p for p in known if p.period == month), None) if month else None
    if month and current is None:
        sentence = say.missing_month_sentence(month, known[-1].period)
        insights.append(
            _insight("processing_month", "Processing month", sentence, period=month, count=0)
        )
    current = current or known[-1]
    is_month = current.period == month
    insights.append(
        _insight(
            "period_change",
            "Period over period",
            say.period_sentence(current, processing_month=is_month),
            **_period_data(current),
            is_processing_month=is_month,
        )
    )
    if len(known) > 1:
        best = max(known, key=lambda p: (p.revenue, p.period or ""))
        insights.append(
            _insight(
                "best_period", "Best period", say.best_period_sentence(best), **_period_data(best)
            )
        )
    return insights


def build_report(
    frame: pl.DataFrame | Records,
    *,
    stats: Mapping[str, Mapping[str, Any]],
    params: InsightsParams,
    stage: str = "insights",
) -> Report:
    """Compute every insight over ``frame`` (processed records) and the processing stats.

    Each figure is a polars query; over records on disk they are streamed from the
    files, so the summary holds its groups in memory, not the table.

    Raises:
        DataValidationError: the money field is missing or not exact money, or a named
            dimension is missing.
    """
    with localcontext(EXACT):
        return _build(Table.of(frame), stats=stats, params=params, stage=stage)


def _build(
    table: Table,
    *,
    stats: Mapping[str, Mapping[str, Any]],
    params: InsightsParams,
    stage: str,
) -> Report:
    warnings: list[dict[str, Any]] = []
    table, unparsed = money_column(table, params.value_field, stage=stage)
    if unparsed:
        warnings.append(
            {
                "kind": "money",
                "field": params.value_field,
                "count": unparsed,
                "message": f"{unparsed} record(s) have a {params.value_field} that is not "
                "money; they are left out of every figure",
            }
        )
    value = params.value_field
    table = table.change(table.query.filter(pl.col(value).is_not_null()))
    table = with_period(table, params.period_field, params.date_field)
    dims = _chosen_dimensions(table, params, stage)
    quality = data_quality(stats)
    month = quality["processing_month"] if quality else None

    t = totals(table, value)
    periods = by_period(table, value, t.revenue)
    groups = {d: by_dimension(table, d, value, t.revenue, limit=params.max_groups) for d in dims}
    tops = {d: b.groups[: params.top_n] for d, b in groups.items()}
    name_dim = next((d for d in _NAME_DIMENSIONS if d in dims), None)
    outliers = find_outliers(
        # Outlier rows show these columns only: the others are never read.
        table.change(table.query.select(*columns_read(params, table.columns), PERIOD_COLUMN)),
        value,
        threshold=params.outlier_threshold,
        limit=params.max_outliers,
    )
    outlier_rows = _outlier_rows(outliers, params, name_dim)
    currencies = currency_counts(table)

    insights = [
        _insight(
            "totals",
            "Total revenue",
            say.totals_sentence(t),
            record_count=t.count,
            total_revenue=money(t.revenue),
            average_revenue=None if t.average is None else money(t.average),
            total_impressions=t.impressions,
            overall_rpm=None if t.rpm is None else money(t.rpm),
        )
    ]
    insights += _period_insights(periods, month)
    for dim, top in tops.items():
        if top:
            share = percent(sum((g.revenue for g in top), Decimal(0)), t.revenue)
            insights.append(
                _insight(
                    f"top_{dim}",
                    f"Top {say.dimension_words(dim)[1]}",
                    say.top_sentence(dim, top, share),
                    dimension=dim,
                    groups=[_group_data(g) for g in top],
                    share_pct=None if share is None else str(share),
                )
            )
    if t.count:
        insights.append(
            _insight(
                "outliers",
                "Outliers",
                say.outliers_sentence(
                    outliers.count, outliers.threshold, outliers.median, outlier_rows
                ),
                count=outliers.count,
                threshold=outliers.threshold,
                records=outlier_rows,
            )
        )
    if quality:
        insights.append(
            _insight("data_quality", "Data quality", say.quality_sentence(quality), **quality)
        )
    if len(currencies) > 1:
        insights.append(
            _insight(
                "currencies",
                "Currencies",
                say.currencies_sentence(currencies),
                currencies=currencies,
            )
        )

    summary: dict[str, Any] = {
        "title": params.title,
        "record_count": t.count,
        "total_revenue": money(t.revenue),
        "average_revenue": None if t.average is None else money(t.average),
        "total_impressions": t.impressions,
        "overall_rpm": None if t.rpm is None else money(t.rpm),
        "periods": [_period_data(p) for p in periods],
        "dimensions": {d: _breakdown_data(b) for d, b in groups.items()},
        "top": {d: [_group_data(g) for g in top] for d, top in tops.items()},
        "outliers": {
            "threshold": outliers.threshold,
            "median": None if outliers.median is None else str(outliers.median),
            "mad": None if outliers.mad is None else str(outliers.mad),
            "scale": outliers.scale,
            "count": outliers.count,
            "records": outlier_rows,
        },
        "currencies": currencies,
        "data_quality": quality,
        "processing_month": month,
        "unparsed_revenue": unparsed,
    }
    return Report(
        insights=insights,
        summary=summary,
        totals=t,
        periods=periods,
        dimensions=groups,
        top_dimension=name_dim or (dims[0] if dims else None),
        outliers=outliers,
        params=params,
        warnings=warnings,
    )
