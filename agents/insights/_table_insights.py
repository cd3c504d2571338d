"""The generic report's figures as insights (``kind``, ``title``, ``sentence``, ``data``)
and as the summary: plain data, every amount a Decimal string with its field's places."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import _table_sentences as say
from ._compute import Breakdown, Group, Period
from ._format import percent
from ._outliers import Outliers
from ._params import InsightsParams
from ._table_figures import MeasureTotal, quantized
from ._table_plan import Plan, Rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """Everything computed over one table (see ``_table_report``)."""

    plan: Plan
    params: InsightsParams
    count: int
    measured: list[MeasureTotal]
    main: MeasureTotal | None
    groups: dict[str, Breakdown]
    tops: dict[str, list[Group]]
    unit: str | None
    periods: list[Period]
    sums: dict[str, Decimal]
    rate_values: dict[str, Decimal | None]
    top_dim: str | None
    by_group: dict[str, dict[str | None, Decimal | None]]
    outliers: Outliers | None
    outlier_rows: list[dict[str, Any]]
    quality: dict[str, Any] | None

    @property
    def what(self) -> str:
        """The main measure's name, or ``records`` (the count stands in) without one."""
        return self.main.measure.name if self.main else "records"

    @property
    def places(self) -> int:
        return self.main.measure.scale if self.main else 0

    @property
    def whole(self) -> Decimal:
        """What shares are of: the main measure's total, else the record count."""
        return self.main.total if self.main else Decimal(self.count)


def text(value: Decimal | None, places: int) -> str | None:
    """An amount as data (``"900.00"``), None for none."""
    return None if value is None else str(quantized(value, places))


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _insight(kind: str, title: str, sentence: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "title": title, "sentence": sentence, "data": data}


def group_data(g: Group, places: int) -> dict[str, Any]:
    return {
        "value": g.value,
        "amount": text(g.revenue, places),
        "count": g.count,
        "share_pct": _pct(g.share_pct),
    }


def period_data(p: Period, places: int) -> dict[str, Any]:
    return {
        "period": p.period,
        "value": text(p.revenue, places),
        "count": p.count,
        "share_pct": _pct(p.share_pct),
        "previous": p.previous,
        "change": text(p.change, places),
        "change_pct": _pct(p.change_pct),
    }


def _rate_value(value: Decimal | None, shown_as_percent: bool) -> dict[str, Any]:
    return {
        "value": text(value, 6),
        "percent": say.percent_of(value) if shown_as_percent and value is not None else None,
    }


def rate_data(f: Figures, rate: Rate) -> dict[str, Any]:
    """A rate over the totals, its inputs' sums, and the rate per top group."""
    by = f.by_group.get(rate.name, {})
    return {
        "expression": rate.expression,
        "inputs": {name: str(f.sums[name]) for name in rate.inputs},
        **_rate_value(f.rate_values[rate.name], rate.percent),
        "by": {
            "dimension": f.top_dim,
            "values": [{"group": k, **_rate_value(v, rate.percent)} for k, v in by.items()],
        },
    }


def insights_of(f: Figures) -> list[dict[str, Any]]:
    """One insight per finding, in reading order."""
    entity, what, places = f.plan.entity, f.what, f.places
    main = f.main
    found = [
        _insight(
            "totals",
            f"Total {what}" if main else "Records",
            say.totals_sentence(f.count, main, entity),
            record_count=f.count,
            measure=main.measure.name if main else None,
            total=text(main.total, places) if main else None,
            average=text(main.average, max(places, 2)) if main else None,
        )
    ]
    if not f.count:
        return found
    others = [m for m in f.measured if m is not main]
    if others:
        totals = {m.measure.name: text(m.total, m.measure.scale) for m in others}
        found.append(
            _insight("measures", "Other totals", say.measures_sentence(others), totals=totals)
        )
    for r in f.plan.rates:
        sentence = say.rate_sentence(
            r, f.rate_values[r.name], f.sums, f.by_group.get(r.name, {}), f.top_dim
        )
        found.append(
            _insight(
                f"rate_{r.name}", f"Overall {r.name}", sentence, rate=r.name, **rate_data(f, r)
            )
        )
    found += _period_insights(f)
    for dim, top in f.tops.items():
        if top:
            share = percent(sum((g.revenue for g in top), Decimal(0)), f.whole)
            sentence = say.top_sentence(
                dim, top, share, main.measure.name if main else None, places
            )
            groups = [group_data(g, places) for g in top]
            found.append(
                _insight(
                    f"top_{dim}",
                    f"Top {dim} by {what}",
                    sentence,
                    dimension=dim,
                    groups=groups,
                    share_pct=_pct(share),
                )
            )
    if f.outliers is not None and main is not None:
        o = f.outliers
        sentence = say.outliers_sentence(
            o.count, o.threshold, o.median, f.outlier_rows, what=(what, places, entity)
        )
        found.append(
            _insight(
                "outliers",
                f"Outliers of {what}",
                sentence,
                field=what,
                count=o.count,
                threshold=o.threshold,
                records=f.outlier_rows,
            )
        )
    if f.quality:
        sentence = say.quality_sentence(f.quality, entity)
        found.append(_insight("data_quality", "Data quality", sentence, **f.quality))
    return found


def _period_insights(f: Figures) -> list[dict[str, Any]]:
    known = [p for p in f.periods if p.period is not None]
    if not known:
        return []
    what, places = f.what, f.places
    last = known[-1]
    found = [
        _insight(
            "period_change",
            f"{what} by {f.unit}",
            say.period_sentence(last, what if f.main else "the number of records", places),
            unit=f.unit,
            **period_data(last, places),
        )
    ]
    if len(known) > 1:
        best = max(known, key=lambda p: (p.revenue, p.period or ""))
        found.append(
            _insight(
                "best_period",
                f"Best {f.unit}",
                say.best_period_sentence(best, what, places, f.plan.entity),
                unit=f.unit,
                **period_data(best, places),
            )
        )
    return found


def _breakdown_data(b: Breakdown, places: int) -> dict[str, Any]:
    return {
        "values": [group_data(g, places) for g in b.groups],
        "others": None if b.others is None else group_data(b.others, places),
        "missing": None if b.missing is None else group_data(b.missing, places),
        "distinct": b.distinct,
    }


def summary_of(f: Figures, *, title: str | None) -> dict[str, Any]:
    """The figures as plain data (the output's ``summary``)."""
    places, main, o = f.places, f.main, f.outliers
    entity = f.plan.entity
    return {
        "title": title or f"Insights on {f.what}",
        "entity": {"one": entity[0], "many": entity[1]},
        "record_count": f.count,
        "main_measure": main.measure.name if main else None,
        "measures": {
            m.measure.name: {
                "kind": m.measure.kind,
                "money": m.measure.money,
                "total": text(m.total, m.measure.scale),
                "average": text(m.average, max(m.measure.scale, 2)),
                "count": m.count,
                "missing": f.count - m.count,
            }
            for m in f.measured
        },
        "rates": {r.name: rate_data(f, r) for r in f.plan.rates},
        "time_field": f.plan.time,
        "period_unit": f.unit,
        "periods": [period_data(p, places) for p in f.periods],
        "dimensions": {d: _breakdown_data(b, places) for d, b in f.groups.items()},
        "top": {d: [group_data(g, places) for g in top] for d, top in f.tops.items()},
        "outliers": None
        if o is None or main is None
        else {
            "field": main.measure.name,
            "threshold": o.threshold,
            "median": None if o.median is None else str(o.median),
            "mad": None if o.mad is None else str(o.mad),
            "scale": o.scale,
            "count": o.count,
            "records": f.outlier_rows,
        },
        "data_quality": f.quality,
    }
