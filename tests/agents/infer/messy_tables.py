"""Messy all-string tables generated from a contract, as exports write them: currency
marks, thousands separators, spaces, several date forms of one day/month order, booleans
in several spellings, categories in several cases, missing values."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

import polars as pl
from hypothesis import strategies as st

from actorflow.contracts import FieldSpec, TableContract

TYPES = (
    "id",
    "integer",
    "decimal",
    "money",
    "number",
    "date",
    "datetime",
    "boolean",
    "category",
    "string",
)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
_WORDS = ("Electronics", "Home Garden", "Toys", "Books", "Sports Outdoors", "Grocery")
_TEXT = ("late delivery", "great service", "asked for refund", "gift wrap", "call back")
_BOOLEANS = (("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"), ("on", "off"))


@dataclass
class Column:
    """A generated column and what inference should find in it."""

    spec: FieldSpec
    values: list[str | None]
    day_month: int = 0  # rows written day-month
    settled: bool = False  # a day-month value shows the order (a number above 12)
    # per row: (written day-month, its day is above 12)
    forms: list[tuple[bool, bool]] = field(default_factory=list)


def _spaces(rng: random.Random, text: str) -> str:
    return rng.choice(["", " ", "  "]) + text + rng.choice(["", " ", "\t"])


def _grouped(rng: random.Random, number: int) -> str:
    return f"{number:,}" if rng.random() < 0.5 else str(number)


def _integer(rng: random.Random, rows: int) -> list[str]:
    out = []
    for _ in range(rows):
        value = rng.randint(2, 5_000_000) * rng.choice([1, 1, -1])
        text = _grouped(rng, abs(value))
        out.append(_spaces(rng, ("-" if value < 0 else rng.choice(["", "+"])) + text))
    return out


def _decimal(rng: random.Random, rows: int, scale: int) -> list[str]:
    out = []
    for _ in range(rows):
        whole, frac = rng.randint(0, 2_000_000), rng.randint(0, 10**scale - 1)
        sign = "-" if rng.random() < 0.2 else ""
        out.append(_spaces(rng, f"{sign}{_grouped(rng, whole)}.{frac:0{scale}d}"))
    return out


def _money(rng: random.Random, rows: int, scale: int) -> list[str]:
    out = []
    for row in range(rows):
        number = _grouped(rng, rng.randint(0, 90_000))
        if scale:
            number += f".{rng.randint(0, 10**scale - 1):0{scale}d}"
        style = 1 + row if row < 1 else rng.randint(0, 6)  # the first always has a mark
        negative = rng.random() < 0.15
        text = {
            0: number,
            1: f"${number}",
            2: f"{number} €",
            3: f"USD {number}",
            4: f"£{number}",
            5: f"{number}EUR",
            6: f"¥ {number}",
        }[style]
        if negative:
            text = f"({text})" if rng.random() < 0.5 else f"-{text}"
        out.append(_spaces(rng, text))
    return out


def _number(rng: random.Random, rows: int) -> list[str]:
    return [_spaces(rng, f"{rng.uniform(-1e9, 1e9):.6e}") for _ in range(rows)]


def _date_text(rng: random.Random, day: datetime.date, order: str) -> tuple[str, bool]:
    form = rng.randint(0, 4)
    if form == 0:
        return day.isoformat(), False
    if form == 1:
        return f"{day.year}/{day.month:02d}/{day.day:02d}", False
    if form == 2:
        sep = rng.choice("/-.")
        first, second = (day.month, day.day) if order == "mdy" else (day.day, day.month)
        return f"{first:02d}{sep}{second:02d}{sep}{day.year}", True
    if form == 3:
        return f"{day.day} {_MONTHS[day.month - 1][: rng.choice([3, 9])]} {day.year}", False
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}", False


def _dates(rng: random.Random, rows: int, *, with_time: bool, column: Column) -> list[str]:
    order = column.spec.date_order or "mdy"
    start = datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randint(0, 2000))
    out = []
    for _ in range(rows):
        day = start + datetime.timedelta(days=rng.randint(0, 400))
        text, day_month = _date_text(rng, day, order)
        column.forms.append((day_month, day.day > 12))
        if with_time:
            hour, minute = rng.randint(0, 23), rng.randint(0, 59)
            text += rng.choice(["T", " "]) + f"{hour:02d}:{minute:02d}"
            text += rng.choice(["", f":{rng.randint(0, 59):02d}", ":00Z"])
        out.append(_spaces(rng, text))
    return out


def _booleans(rng: random.Random, rows: int) -> list[str]:
    out = []
    for row in range(rows):
        pair = rng.choice(_BOOLEANS) if row else ("yes", "no")
        word = rng.choice(pair)
        out.append(_spaces(rng, rng.choice([word, word.upper(), word.title()])))
    return out


def _categories(rng: random.Random, rows: int) -> list[str]:
    words = rng.sample(_WORDS, rng.randint(2, 4))
    out = []
    for _ in range(rows):
        word = rng.choice(words)
        word = rng.choice([word, word.lower(), word.upper(), word.replace(" ", "  ")])
        out.append(_spaces(rng, word))
    return out


def _text(rng: random.Random, rows: int) -> list[str]:
    return [f"{rng.choice(_TEXT)} {rng.choice(_TEXT)} #{i}" for i in rng.sample(range(rows), rows)]


def _ids(rng: random.Random, rows: int, by_name: bool) -> list[str]:
    numbers = rng.sample(range(1, rows * 50), rows)
    if by_name:
        return [str(n) for n in numbers]
    prefix = rng.choice(["ORD", "INV", "C", "cust", "SKU"])
    sep = rng.choice(["-", "_", ""])
    return [f"{prefix}{sep}{n:05d}" for n in numbers]


@st.composite
def table_contracts(draw: st.DrawFn) -> TableContract:
    """A contract of up to 7 fields of any type but ``string`` names ``c0``, ``c1_id``..."""
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=7))
    fields = []
    for position, kind in enumerate(kinds):
        by_name = kind == "id" and draw(st.booleans())  # numbers, known as ids by name
        name = f"c{position}_id" if by_name else f"c{position}"
        scale = None
        if kind == "decimal":
            scale = draw(st.integers(1, 4))
        elif kind == "money":
            scale = draw(st.integers(0, 3))
        order = draw(st.sampled_from(["mdy", "dmy"])) if kind in ("date", "datetime") else None
        fields.append(FieldSpec(name=name, type=kind, scale=scale, date_order=order))
    return TableContract(fields=tuple(fields))


def messy_column(rng: random.Random, spec: FieldSpec, rows: int) -> Column:
    """One column of ``rows`` values (at least 2) as ``spec`` says, some missing."""
    column = Column(spec=spec, values=[])
    kind, scale = spec.type, spec.scale or 0
    if kind == "id":
        values = _ids(rng, rows, by_name=spec.name.endswith("_id"))
    elif kind == "integer":
        values = _integer(rng, rows)
    elif kind == "decimal":
        values = _decimal(rng, rows, scale)
    elif kind == "money":
        values = _money(rng, rows, scale)
    elif kind == "number":
        values = _number(rng, rows)
    elif kind in ("date", "datetime"):
        values = _dates(rng, rows, with_time=kind == "datetime", column=column)
    elif kind == "boolean":
        values = _booleans(rng, rows)
    elif kind == "category":
        values = _categories(rng, rows)
    else:
        values = _text(rng, rows)
    # A tenth of the rows (never the first) miss their value: null, empty or blank.
    missing = set(rng.sample(range(1, rows), rows // 10))
    column.values = [
        rng.choice([None, "", "  "]) if row in missing else v for row, v in enumerate(values)
    ]
    for (day_month, settles), value in zip(column.forms, column.values, strict=False):
        if day_month and value is not None and value.strip():
            column.day_month += 1
            column.settled |= settles
    return column


def messy_table(
    rng: random.Random, contract: TableContract, rows: int
) -> tuple[pl.DataFrame, list[Column]]:
    """A table of all-string columns, one per field of ``contract``."""
    columns = [messy_column(rng, spec, rows) for spec in contract.fields]
    frame = pl.DataFrame({c.spec.name: pl.Series(c.values, dtype=pl.String) for c in columns})
    return frame, columns
