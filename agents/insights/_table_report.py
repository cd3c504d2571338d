"""The generic report: insights over any business table described by a contract.

Used when the processing dependency's output carries a ``contract`` (the contract-driven
processing); the revenue pipeline's output (no ``contract``) keeps the revenue report of
``_build``. Which fields play which part is decided in ``_table_plan``; the figures are
computed in ``_table_figures`` and told in ``_table_sentences``.

Main dimensions: ``params.dimensions`` when given; else the contract's dimension fields
(categories, booleans) that have values, in contract order, at most ``MAX_DIMENSIONS``.
A table without any (campaigns by name) is broken down by its label fields instead,
those with at most ``LABEL_MAX_DISTINCT`` distinct values: a name per record is a
useful breakdown of a small table, not of a large one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import polars as pl

from actorflow.contracts import Records

from ._compute import Breakdown, Period, Table
from ._format import EXACT
from ._outliers import Outliers, find_outliers
from ._params import InsightsParams
from ._table_figures import (
    MeasureTotal,
    as_decimal,
    breakdown,
    distinct_counts,
    measure_totals,
    period_key,
    period_unit,
    periods,
    rate_value,
    rates_by_group,
)
from ._table_insights import Figures, insights_of, summary_of, text
from ._table_plan import Measure, Plan, load_contract, make_plan, measure_kind
from ._table_quality import table_quality

MAX_DIMENSIONS = 3
LABEL_MAX_DISTINCT = 50
_PERIOD = "__insights_period"


@dataclass(slots=True)
class TableReport:
    """Everything the generic path outputs, before rendering."""

    insights: list[dict[str, Any]]
    summary: dict[str, Any]
    plan: Plan
    main: MeasureTotal | None
    unit: str | None
    periods: list[Period]
    dimensions: dict[str, Breakdown]
    params: InsightsParams
    warnings: list[dict[str, Any]] = field(default_factory=list)


def build_table_report(
    records: pl.DataFrame | Records,
    processing: Mapping[str, Mapping[str, Any]],
    *,
    params: InsightsParams,
    given: Sequence[str] = (),
    stage: str = "insights",
) -> TableReport:
    """Compute the generic insights of ``records``.

    Args:
        records: the processed records (typed columns).
        processing: per processing stage, its ``contract``, ``calculations``,
            ``quality_metrics``, ``field_quality``, ``findings`` (plain data).
        params: the stage's params.
        given: the params the stage set (the others are defaults and do not apply).
        stage: this stage's name, for messages.

    Raises:
        DataValidationError: an unreadable contract, or params naming missing fields.
    """
    with localcontext(EXACT):
        return _build(Table.of(records), processing, params, given, stage)


def _build(
    table: Table,
    processing: Mapping[str, Mapping[str, Any]],
    params: InsightsParams,
    given: Sequence[str],
    stage: str,
) -> TableReport:
    first = next(iter(processing.values()))
    warnings: list[dict[str, Any]] = []
    if len({repr(p.get("contract")) for p in processing.values()}) > 1:
        warnings.append(
            {
                "kind": "contract",
                "message": "the processing stages have different "
                f"contracts; the report uses the first ({next(iter(processing))!r})",
            }
        )
    calculations: dict[str, Mapping[str, Any]] = {}
    for p in processing.values():
        calcs = p.get("calculations")
        if isinstance(calcs, Mapping):
            calculations.update({str(k): v for k, v in calcs.items() if isinstance(v, Mapping)})
    contract = load_contract(first["contract"], stage=stage)
    plan = make_plan(contract, calculations, table.schema, params, given=given, stage=stage)

    known = {m.name for m in plan.measures}
    inputs = [f for r in plan.rates for f in r.inputs if f not in known]
    extra = [
        Measure(f, kind, 0 if kind == "integer" else 2)
        for f in dict.fromkeys(inputs)
        if (kind := measure_kind(table.schema[f])) is not None
    ]
    count, totals = measure_totals(table, [*plan.measures, *extra])
    measured = totals[: len(plan.measures)]
    main = next((m for m in measured if m.count), measured[0] if measured else None)
    value = main.measure if main else None
    whole = main.total if main else Decimal(count)

    dims = _dimensions(table, plan)
    groups: dict[str, Breakdown] = {}
    for dim in dims:
        groups[dim], _ = breakdown(table, dim, value, whole, limit=params.max_groups)
    tops = {d: b.groups[: params.top_n] for d, b in groups.items()}

    unit = period_unit(table, plan.time, params.period) if plan.time and count else None
    by_period = periods(table, plan.time, unit, value, whole) if plan.time and unit else []

    sums = {m.measure.name: m.total for m in totals}
    rate_values = {r.name: rate_value(r, sums) for r in plan.rates}
    top_dim = dims[0] if dims else None
    by_group: dict[str, dict[str | None, Decimal | None]] = {}
    if top_dim and plan.rates and count:
        measures = {m.measure.name: m.measure for m in totals}
        keys = [g.value for g in tops[top_dim]]
        by_group = rates_by_group(table, top_dim, keys, plan.rates, measures)

    outliers = _outliers(table, plan, value, params, unit) if value and count else None
    outlier_rows = _outlier_rows(outliers, plan, value) if outliers and value else []
    quality = table_quality(processing)

    figures = Figures(
        plan=plan,
        params=params,
        count=count,
        measured=measured,
        main=main,
        groups=groups,
        tops=tops,
        unit=unit,
        periods=by_period,
        sums=sums,
        rate_values=rate_values,
        top_dim=top_dim,
        by_group=by_group,
        outliers=outliers,
        outlier_rows=outlier_rows,
        quality=quality,
    )
    summary = summary_of(figures, title=params.title if "title" in given else None)
    summary["contract_source"] = first.get("contract_source")
    insights = insights_of(figures)
    return TableReport(insights, summary, plan, main, unit, by_period, groups, params, warnings)


def _dimensions(table: Table, plan: Plan) -> list[str]:
    if plan.dimensions_given:
        return list(plan.candidates)
    distinct = distinct_counts(table, plan.candidates)
    roles = {s.name: s.role for s in plan.contract.fields}
    dimensions = [d for d in plan.candidates if roles.get(d) == "dimension" and distinct[d] >= 1]
    # A field with one value breaks nothing down (an extract's single source label): the
    # dimensions with several values come first, then labels, then single-valued ones.
    kept = [d for d in dimensions if distinct[d] >= 2]
    if not kept:  # labels stand in only for a table without such dimensions
        kept = [
            d
            for d in plan.candidates
            if roles.get(d) != "dimension" and 2 <= distinct[d] <= LABEL_MAX_DISTINCT
        ]
    if not kept:
        kept = dimensions
    return kept[:MAX_DIMENSIONS]


def _outliers(
    table: Table, plan: Plan, value: Measure, params: InsightsParams, unit: str | None
) -> Outliers:
    """The robust z-score test on the main measure, read as an exact Decimal column."""
    column = pl.col(value.name)
    if value.kind == "integer":
        column = column.cast(pl.Decimal(38, 0))
    elif value.kind == "float":
        column = column.cast(pl.Decimal(38, 6), strict=False)
    shown = [c for c in dict.fromkeys((plan.id_field, plan.label_field)) if c and c in table.schema]
    exprs = [column.alias(value.name), *(pl.col(c) for c in shown if c != value.name)]
    if plan.time and unit:
        exprs.append(period_key(plan.time, unit).alias(_PERIOD))
    scored = table.change(table.query.select(exprs))
    return find_outliers(
        scored, value.name, threshold=params.outlier_threshold, limit=params.max_outliers
    )


def _outlier_rows(outliers: Outliers, plan: Plan, value: Measure) -> list[dict[str, Any]]:
    rows = []
    for row in outliers.rows.iter_rows(named=True):
        amount = as_decimal(row[value.name])
        rows.append(
            {
                "id": _plain(row.get(plan.id_field)) if plan.id_field else None,
                "name": _plain(row.get(plan.label_field)) if plan.label_field else None,
                "period": row.get(_PERIOD),
                "value": text(amount, value.scale),
                "z": row["z"],
            }
        )
    return rows


def _plain(value: object) -> str | int | None:
    """An id or label as data: text and whole numbers as they are, the rest as text."""
    if (
        value is None
        or isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
    ):
        return value
    return str(value)
