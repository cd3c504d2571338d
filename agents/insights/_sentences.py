"""One plain sentence per insight, from the figures alone (deterministic)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ._compute import Group, Period, Totals
from ._format import count_text, label, money_text, percent, percent_text, plural

#: How a dimension reads in a sentence: (one, many).
DIMENSION_WORDS: Mapping[str, tuple[str, str]] = {
    "source": ("source", "sources"),
    "podcast_name": ("podcast", "podcasts"),
    "name": ("name", "names"),
}


def dimension_words(dimension: str) -> tuple[str, str]:
    """The singular and plural words for a dimension (``podcast``, ``podcasts``)."""
    return DIMENSION_WORDS.get(dimension, (f"{dimension} value", f"{dimension} values"))


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def totals_sentence(t: Totals) -> str:
    if not t.count:
        return "There are no records to summarise."
    assert t.average is not None
    head = (
        f"Total revenue is {money_text(t.revenue)} from {plural(t.count, 'record')} "
        f"({money_text(t.average)} per record on average)"
    )
    if t.impressions is None:
        return head + "."
    if t.rpm is None:
        return head + ", with no impressions recorded."
    return (
        f"{head}, with {count_text(t.impressions)} impressions at an overall RPM of "
        f"{money_text(t.rpm)}."
    )


def period_sentence(current: Period, *, processing_month: bool) -> str:
    which = "the processing month " if processing_month else ""
    head = f"Revenue in {which}{current.period} was {money_text(current.revenue)}"
    if current.previous is None or current.change is None:
        return f"{head}; no earlier period has records to compare with."
    before = money_text(current.revenue - current.change)
    if current.change == 0:
        return f"{head}, unchanged from {current.previous}."
    direction = "up" if current.change > 0 else "down"
    amount = money_text(abs(current.change))
    if current.change_pct is None:
        return f"{head}, {direction} {amount} from {current.previous} ({before})."
    pct = percent_text(abs(current.change_pct))
    return f"{head}, {direction} {pct} ({amount}) from {current.previous} ({before})."


def missing_month_sentence(month: str, latest: str | None) -> str:
    tail = f"; the latest period with records is {latest}" if latest else ""
    return f"The processing month {month} has no records{tail}."


def best_period_sentence(best: Period) -> str:
    return (
        f"The highest-earning period is {best.period} with {money_text(best.revenue)} "
        f"({percent_text(best.share_pct)} of revenue, {plural(best.count, 'record')})."
    )


def top_sentence(dimension: str, top: Sequence[Group], total_share: Decimal | None) -> str:
    one, many = dimension_words(dimension)
    if len(top) == 1:
        g = top[0]
        return (
            f"The only {one} with revenue is {label(g.value)} with {money_text(g.revenue)} "
            f"({percent_text(g.share_pct)} of revenue)."
        )
    parts = [
        f"{label(g.value)} ({money_text(g.revenue)}, {percent_text(g.share_pct)})" for g in top
    ]
    return (
        f"The top {len(top)} {many} by revenue are {_listing(parts)}, together "
        f"{percent_text(total_share)} of revenue."
    )


def outliers_sentence(
    count: int, threshold: float, median: Decimal | None, shown: Sequence[Mapping[str, Any]]
) -> str:
    around = f"around a median of {money_text(median)}" if median is not None else ""
    limit = f"{threshold:g}"
    if not count:
        return f"No record's revenue is an outlier (robust z-score within ±{limit} {around})."
    names = [
        f"{label(r.get('id'))} ({money_text(Decimal(r['revenue']))}, z {r['z']:+.2f})"
        for r in shown[:3]
    ]
    if count > len(names):
        listed = ", ".join(names) + f", and {count - len(names)} more"
    else:
        listed = _listing(names)
    unusual = "has unusual revenue" if count == 1 else "have unusual revenue"
    return (
        f"{plural(count, 'record')} {unusual} (robust z-score beyond ±{limit} {around}): {listed}."
    )


def quality_sentence(quality: Mapping[str, Any]) -> str:
    n_in, n_out = quality["input_count"], quality["output_count"]
    clean, rejects = quality["clean_count"], quality["reject_count"]
    kept = f"Processing kept {count_text(n_out)} of {plural(n_in, 'record')}"
    kept += f" ({percent_text(percent(n_out, n_in))})"
    if rejects:
        rules = [f"{rule} {count_text(n)}" for rule, n in quality["rejected"].items() if n]
        kept += f": {count_text(rejects)} rejected ({', '.join(rules)})"
    return (
        f"{kept}; {count_text(clean)} ({percent_text(percent(clean, n_in))} of the input) "
        "came through without warnings."
    )


def currencies_sentence(currencies: Mapping[str, int]) -> str:
    parts = [f"{code} {count_text(n)}" for code, n in currencies.items()]
    return (
        f"Amounts come in {len(currencies)} currencies ({', '.join(parts)}) and are added "
        "as given, without conversion."
    )
