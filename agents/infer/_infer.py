"""``infer_contract``: a table's contract, read from its values.

Each column is tried as, in turn: boolean, date/datetime, id (by its name), number
(integer, decimal, money, number), id (by its values), category, and else free text.
A column takes a type when at least ``PARSE_THRESHOLD`` (95%) of its present values
parse as it; the rest are counted and reported as unparsed. Empty text counts as
missing. Every check runs on the column's distinct values (see ``_values``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import msgspec
import polars as pl

from actorflow.contracts import (
    DATE_ORDERS,
    DateOrder,
    FieldSpec,
    FieldType,
    TableContract,
)

from ._dates import AMBIGUOUS_DEFAULT, DateStats, date_stats
from ._numbers import NumberStats, number_stats
from ._result import FieldReport, Finding, Inference
from ._text import (
    CATEGORY_MAX,
    CATEGORY_RATIO,
    ID_DISTINCT,
    boolean_stats,
    category_count,
    id_like_name,
    id_shaped,
)
from ._values import Distinct, distinct_values

__all__ = ["infer_contract"]


class _Guess(NamedTuple):
    """A column's type, the rows that parse as it and examples of the rest."""

    type: FieldType
    parsed: int
    failed: tuple[str, ...] = ()
    scale: int | None = None
    date_order: DateOrder | None = None
    currencies: tuple[str, ...] = ()


_MONEY_NAME = re.compile(
    r"(?:^|[\s_.-])(?:amount|price|revenue|cost|total|fee|fees|sales|salary|spend|budget"
    r"|income|payment|balance|gross|net|tax|discount|profit|subtotal)(?:$|[\s_.-])",
    re.IGNORECASE,
)
_CURRENCY_NAME = re.compile(r"^(?:currency|currency[\s_]code|ccy|cur)$|[\s_]currency$", re.I)
# Values that could be dates at all; the full date parse runs only on columns that pass.
_DATE_SHAPED = r"^\d{1,4}[-/.]\d|^[A-Za-z]{3,9}\.?\s+\d|^\d{1,2}(?:st|nd|rd|th)?[\s-]+[A-Za-z]"
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def infer_contract(frame: pl.DataFrame, *, date_order: DateOrder | None = None) -> Inference:
    """Infer the contract of a table of strings (as the extractor yields).

    Types and roles come from the values (see the module docstring and ``_text``,
    ``_numbers``, ``_dates`` for each type's rules). The inferred contract requires
    nothing; an id column whose values are all present and distinct is ``unique``,
    and the first such is the contract's ``key``; a money column is linked to a
    ``currency`` column when there is one.

    Args:
        frame: the table; columns of another type are read as their text.
        date_order: how a column whose every day-month date fits both orders
            (``03/05/2024``) is read: ``dmy`` or ``mdy``; by default (and for ``ymd``,
            which day-month values cannot be in) ``mdy``. Columns whose values settle
            the order are read in it whatever this says.

    Returns:
        the contract, a report per field and the findings (mixed day/month orders are
        errors; ambiguous orders, unparsed values and empty columns are warnings).

    Raises:
        ValueError: an unknown ``date_order``.
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}, got {date_order!r}")
    findings: list[Finding] = []
    if frame.width == 0 or frame.height == 0:
        what = "no columns" if frame.width == 0 else "no rows"
        findings.append(
            Finding(
                field="",
                kind="empty_table",
                severity="warning",
                message=f"the table has {what}: nothing to infer types from",
            )
        )
    specs: list[FieldSpec] = []
    reports: list[FieldReport] = []
    for column, name in zip(frame.columns, _field_names(frame.columns, findings), strict=True):
        spec, report, found = _infer_column(name, frame.get_column(column), date_order)
        specs.append(spec)
        reports.append(report)
        if frame.height:
            findings.extend(found)
    specs = _link_currencies(specs)
    findings.extend(_mixed_currencies(specs, reports))
    specs, key = _mark_unique(specs, reports)
    findings.sort(key=lambda f: _SEVERITY_ORDER[f.severity])
    return Inference(
        contract=TableContract(fields=tuple(specs), key=key),
        fields=tuple(reports),
        findings=tuple(findings),
        rows=frame.height,
    )


def _infer_column(
    name: str, series: pl.Series, date_order: DateOrder | None
) -> tuple[FieldSpec, FieldReport, list[Finding]]:
    if not series.dtype.is_nested():
        return _infer_field(name, series.name, distinct_values(series), date_order=date_order)
    # Lists and objects have no field type (and no text form worth parsing): the column
    # is typed string, its values left alone, and reported.
    nothing = Distinct(pl.DataFrame(), rows=series.len(), present=0)
    spec, report, _ = _infer_field(name, series.name, nothing, date_order=date_order)
    present = series.len() - series.null_count()
    report = msgspec.structs.replace(report, present=present, missing=series.null_count())
    return spec, report, [_nested(name, series)]


def _infer_field(
    name: str, column: str, values: Distinct, *, date_order: DateOrder | None
) -> tuple[FieldSpec, FieldReport, list[Finding]]:
    found: list[Finding] = []
    guess = _Guess("string", values.present)
    if values.present == 0:
        found.append(
            Finding(
                field=name,
                kind="empty_column",
                severity="warning",
                message="no values (all null or empty): typed string",
                count=values.rows,
            )
        )
    else:
        guess = _classify(name, values, date_order, found)
    kind, failed = guess.type, guess.failed
    unparsed = values.present - guess.parsed
    if unparsed:
        found.append(
            Finding(
                field=name,
                kind="unparsed_values",
                severity="warning",
                message=f"{unparsed} of {values.present} values are not {_a(kind)}",
                count=unparsed,
                examples=failed,
            )
        )
    spec = FieldSpec(name=name, type=kind, scale=guess.scale, date_order=guess.date_order)
    report = FieldReport(
        name=name,
        column=column,
        type=kind,
        present=values.present,
        missing=values.missing,
        distinct=values.count,
        unparsed=unparsed,
        unparsed_examples=failed if unparsed else (),
        currencies=guess.currencies,
    )
    return spec, report, found


def _classify(
    name: str, values: Distinct, date_order: DateOrder | None, found: list[Finding]
) -> _Guess:
    booleans = boolean_stats(values)
    if booleans.plausible(values):
        return _Guess("boolean", booleans.parsed, booleans.failed)
    if values.enough(values.weight(pl.col("v").str.contains(_DATE_SHAPED))):
        dates = date_stats(values, date_order=date_order)
        if dates.mixed:
            found.append(_mixed_orders(name, dates))
            return _Guess("string", values.present)
        if values.enough(dates.parsed):
            if dates.day_month and not dates.settled:
                found.append(_ambiguous_order(name, dates))
            kind: FieldType = "datetime" if dates.with_time else "date"
            return _Guess(kind, dates.parsed, dates.failed, date_order=dates.order)
    if id_like_name(name) and values.enough(id_shaped(values)):
        return _Guess("id", values.present)  # skips the number parse of a big id column
    numbers = number_stats(values)
    if values.enough(numbers.parsed) and not numbers.leading_zero and not id_like_name(name):
        return _numeric(name, numbers)
    return _Guess(_textual(name, values, numbers), values.present)


def _textual(name: str, values: Distinct, numbers: NumberStats) -> FieldType:
    """An id, a category or free text (the column is no boolean, date or plain number)."""
    numeric = values.enough(numbers.parsed)
    distinct_share = values.count / values.present
    shaped = values.enough(id_shaped(values))
    if id_like_name(name) and (numeric or shaped or distinct_share >= CATEGORY_RATIO):
        return "id"
    if (shaped or numeric) and distinct_share >= ID_DISTINCT:
        return "id"
    categories = category_count(values)
    if categories <= CATEGORY_MAX and categories <= CATEGORY_RATIO * values.present:
        return "category"
    return "string"


def _numeric(name: str, numbers: NumberStats) -> _Guess:
    money = numbers.with_currency or (_MONEY_NAME.search(name) and numbers.scale)
    if numbers.is_number:
        return _Guess("number", numbers.parsed, numbers.failed)
    if money:
        return _Guess(
            "money",
            numbers.parsed,
            numbers.failed,
            scale=numbers.scale,
            currencies=numbers.currencies,
        )
    if numbers.integral == numbers.parsed:
        return _Guess("integer", numbers.parsed, numbers.failed)
    return _Guess("decimal", numbers.parsed, numbers.failed, scale=numbers.scale)


def _nested(name: str, series: pl.Series) -> Finding:
    return Finding(
        field=name,
        kind="nested_column",
        severity="warning",
        message=f"holds {series.dtype} values (lists or objects), which no field type "
        "describes: typed string",
        count=series.len() - series.null_count(),
    )


def _mixed_orders(name: str, dates: DateStats) -> Finding:
    dmy, mdy = ", ".join(dates.needs_dmy), ", ".join(dates.needs_mdy)
    return Finding(
        field=name,
        kind="mixed_date_order",
        severity="error",
        message=f"dates in both day/month orders: {dmy} only read day-month (dmy), "
        f"{mdy} only month-day (mdy); typed string. Make the column one order, or "
        'declare it type = "date" with the date_order it should be read in',
        count=dates.day_month,
        examples=(*dates.needs_dmy, *dates.needs_mdy),
    )


def _ambiguous_order(name: str, dates: DateStats) -> Finding:
    order = dates.order or AMBIGUOUS_DEFAULT
    spelled = "month-day" if order == "mdy" else "day-month"
    return Finding(
        field=name,
        kind="ambiguous_date_order",
        severity="warning",
        message=f"every day/month date ({dates.ambiguous} values) fits both orders; read "
        f"{spelled} ({order}). Check it, and set date_order if that is wrong",
        count=dates.ambiguous,
        date_order=order,
    )


def _field_names(columns: list[str], findings: list[Finding]) -> list[str]:
    """The columns' names, but for names a field cannot have (empty, control characters)."""
    taken = set(columns)
    names: list[str] = []
    for position, column in enumerate(columns, start=1):
        usable = column.strip() and column.isprintable()
        if usable:
            try:
                column.encode("utf-8")
            except UnicodeEncodeError:
                usable = False
        if usable:
            names.append(column)
            continue
        name = f"column_{position}"
        while name in taken:
            name += "_"
        taken.add(name)
        names.append(name)
        findings.append(
            Finding(
                field=name,
                kind="renamed_column",
                severity="warning",
                message=f"column {position} is named {column!r}, which cannot be a field "
                f"name; called {name!r}",
            )
        )
    return names


def _link_currencies(specs: list[FieldSpec]) -> list[FieldSpec]:
    """Point money fields at the table's currency column, if it has one."""
    currency = next(
        (
            s.name
            for s in specs
            if s.type in ("category", "string") and _CURRENCY_NAME.search(s.name)
        ),
        None,
    )
    if currency is None:
        return specs
    return [
        msgspec.structs.replace(s, currency=currency) if s.type == "money" else s for s in specs
    ]


def _mixed_currencies(specs: list[FieldSpec], reports: list[FieldReport]) -> list[Finding]:
    """Money written in several currencies, with no currency field to tell them apart."""
    return [
        Finding(
            field=spec.name,
            kind="mixed_currencies",
            severity="warning",
            message=f"amounts are marked with several currencies ({', '.join(report.currencies)}) "
            "and no currency field says which is which: totals would add them up as one. "
            "Convert them, or add a currency field",
            examples=report.currencies,
        )
        for spec, report in zip(specs, reports, strict=True)
        if spec.type == "money" and spec.currency is None and len(report.currencies) > 1
    ]


def _mark_unique(
    specs: list[FieldSpec], reports: list[FieldReport]
) -> tuple[list[FieldSpec], tuple[str, ...]]:
    """Ids present and distinct in every row are unique; the first is the key."""
    out: list[FieldSpec] = []
    key: tuple[str, ...] = ()
    for spec, report in zip(specs, reports, strict=True):
        if spec.type == "id" and report.missing == 0 and report.distinct == report.present > 1:
            out.append(msgspec.structs.replace(spec, unique=True))
            key = key or (spec.name,)
        else:
            out.append(spec)
    return out, key


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
