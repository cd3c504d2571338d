"""Sentences of a generic report, in the table's own words: its field names and its noun.

"Total spend is 900.00 across 2 campaigns": the measure is named as the field is, the
records by the entity noun (see ``_table_plan``); a dimension's values are "category
values" unless the field's name already is a plural.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._compute import Group, Period
from ._format import count_text, label, percent_text
from ._table_figures import MeasureTotal, quantized
from ._table_plan import Rate

_MAX_LISTED = 8


def number_text(value: Decimal, places: int) -> str:
    """``value`` with ``places`` places and thousands separators (``18,000``, ``900.00``)."""
    return f"{quantized(value, places):,}"


def count_of(n: int, entity: tuple[str, str]) -> str:
    """``1 campaign``, ``2 campaigns``."""
    return f"{count_text(n)} {entity[0] if n == 1 else entity[1]}"


def listing(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def percent_of(value: Decimal) -> str:
    """A fraction as a percentage with up to two places (``0.015`` -> ``1.5``)."""
    text = f"{quantized(value * 100, 2):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate_text(rate: Rate, value: Decimal | None) -> str:
    """A rate as shown: ``1.5%`` for a ratio of counts, else with its places; ``n/a``."""
    if value is None:
        return "n/a (its denominator adds up to 0)"
    if rate.percent:
        return f"{percent_of(value)}%"
    return number_text(value, rate.places)


def totals_sentence(count: int, main: MeasureTotal | None, entity: tuple[str, str]) -> str:
    if not count:
        return f"There are no {entity[1]} to summarise."
    if main is None:
        return f"There are {count_of(count, entity)}; the table has no measure to add up."
    name, places = main.measure.name, main.measure.scale
    if main.average is None:
        return f"{count_of(count, entity).capitalize()} and no {name} value among them."
    head = f"Total {name} is {number_text(main.total, places)} across {count_of(count, entity)}"
    avg = f"{number_text(main.average, max(places, 2))} per {entity[0]} on average"
    missing = count - main.count
    article = "an" if name[:1].lower() in "aeiou" else "a"
    tail = f"; {count_of(missing, entity)} without {article} {name}" if missing else ""
    return f"{head} ({avg}{tail})."


def measures_sentence(others: Sequence[MeasureTotal]) -> str:
    parts = [f"{m.measure.name} {number_text(m.total, m.measure.scale)}" for m in others]
    more = len(parts) - _MAX_LISTED
    shown = parts[:_MAX_LISTED] + ([f"{more} more measures"] if more > 0 else [])
    return f"The other totals are {listing(shown)}."


def rate_sentence(
    rate: Rate,
    value: Decimal | None,
    sums: Mapping[str, Decimal],
    by: Mapping[str | None, Decimal | None],
    dimension: str | None,
) -> str:
    inputs = ", ".join(
        f"Σ{f} = {number_text(sums[f], 0 if sums[f] == sums[f].to_integral() else 2)}"
        for f in rate.inputs
    )
    shown = rate_text(rate, value)
    head = f"Overall {rate.name} is {shown} ({rate.expression} over the totals: {inputs})"
    if not by or dimension is None:
        return head + "."
    parts = [f"{label(k)} {rate_text(rate, v)}" for k, v in list(by.items())[:_MAX_LISTED]]
    return f"{head}; by {dimension}: {listing(parts)}."


def period_sentence(current: Period, measure: str, places: int) -> str:
    head = f"In {current.period}, {measure} was {number_text(current.revenue, places)}"
    if current.previous is None or current.change is None:
        return f"{head}; no earlier period has records to compare with."
    before = number_text(current.revenue - current.change, places)
    if current.change == 0:
        return f"{head}, unchanged from {current.previous}."
    direction = "up" if current.change > 0 else "down"
    amount = number_text(abs(current.change), places)
    pct = "" if current.change_pct is None else f"{percent_text(abs(current.change_pct))} "
    return f"{head}, {direction} {pct}({amount}) from {current.previous} ({before})."


def best_period_sentence(best: Period, measure: str, places: int, entity: tuple[str, str]) -> str:
    return (
        f"The period with the most {measure} is {best.period} with "
        f"{number_text(best.revenue, places)} ({percent_text(best.share_pct)} of {measure}, "
        f"{count_of(best.count, entity)})."
    )


def top_sentence(
    dimension: str, top: Sequence[Group], share: Decimal | None, measure: str | None, places: int
) -> str:
    what = measure or "records"
    amounts = [
        f"{label(g.value)} ({number_text(g.revenue, places)}, {percent_text(g.share_pct)})"
        for g in top
    ]
    if len(top) == 1:
        return f"The top {dimension} by {what} is {amounts[0]}."
    return (
        f"The top {len(top)} {dimension} values by {what} are {listing(amounts)}, together "
        f"{percent_text(share)} of {what}."
    )


def outliers_sentence(
    count: int,
    threshold: float,
    median: Decimal | None,
    rows: Sequence[Mapping[str, Any]],
    *,
    what: tuple[str, int, tuple[str, str]],
) -> str:
    """``what``: the measure's name, its places, and the entity noun."""
    measure, places, entity = what
    around = f" around a median of {number_text(median, places)}" if median is not None else ""
    limit = f"{threshold:g}"
    if not count:
        return f"No {entity[0]}'s {measure} is an outlier (robust z-score within ±{limit}{around})."
    names = [
        f"{label(r.get('id') or r.get('name'))} ({r['value']}, z {r['z']:+.2f})" for r in rows[:3]
    ]
    listed = (
        ", ".join(names) + f", and {count - len(names)} more"
        if count > len(names)
        else listing(names)
    )
    verb = "has" if count == 1 else "have"
    return (
        f"{count_of(count, entity)} {verb} an unusual {measure} (robust z-score beyond "
        f"±{limit}{around}): {listed}."
    )


def quality_sentence(quality: Mapping[str, Any], entity: tuple[str, str]) -> str:
    n_in, n_out, rejected = quality["records_in"], quality["records_out"], quality["rejected"]
    pct = percent_text(None if not n_in else quantized(Decimal(n_out) * 100 / n_in, 1))
    text = f"Processing kept {count_text(n_out)} of {count_of(n_in, entity)} ({pct})"
    if rejected:
        text += f", {count_text(rejected)} rejected"
    score = quality.get("quality_score")
    if isinstance(score, int | float):
        text += f"; quality score {score:.2f}"
    problems = [
        f"{name} {count_text(q.get('missing', 0))} missing, {count_text(q.get('unparsed', 0))} "
        f"unparsed ({q.get('action', 'kept as null')})"
        for name, q in quality["field_quality"].items()
        if q.get("missing") or q.get("unparsed")
    ]
    if problems:
        text += f"; fields with gaps: {listing(problems[:_MAX_LISTED])}"
    findings = len(quality["findings"])
    if findings:
        text += f"; {count_text(findings)} finding{'s' if findings != 1 else ''} reported"
    return text + "."
