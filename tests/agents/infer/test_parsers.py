"""The parsers inference checks values with, public for the stages that clean by contract."""

from __future__ import annotations

import datetime
from decimal import Decimal

import polars as pl
import pytest

from actorflow.agents.infer import parse_booleans, parse_dates, parse_numbers


def test_numbers_in_business_formats() -> None:
    raw = ["$1,234.50", "(12)", "EUR 3", "-$3", "4 usd", " 7.25 ", "1e3", "1,5", "ORD-123", ""]
    assert parse_numbers(pl.Series(raw)).to_list() == [
        1234.5, -12.0, 3.0, -3.0, 4.0, 7.25, 1000.0, None, None, None,
    ]  # fmt: skip
    assert parse_numbers(pl.Series(["$1,234.50", "(0.5)"]), scale=2).to_list() == [
        Decimal("1234.50"),
        Decimal("-0.50"),
    ]


@pytest.mark.parametrize(
    ("invalid"), ["$5€", "--5", "(-5)", "1,23,456", "$1e5", "12.", "abc", "1 2"]
)
def test_what_is_not_a_number(invalid: str) -> None:
    assert parse_numbers(pl.Series([invalid])).to_list() == [None]


def test_dates_in_every_accepted_form() -> None:
    raw = [
        "2024-05-03", "2024/05/03", "03/05/2024", "3.5.2024", "3 May 2024", "3rd May 2024",
        "May 3, 2024", "Sept 3 2024", "2024-02-30", "13/13/2024", "soon", None,
    ]  # fmt: skip
    may3, may5 = datetime.date(2024, 5, 3), datetime.date(2024, 3, 5)
    assert parse_dates(pl.Series(raw), order="dmy").to_list() == [
        may3, may3, may3, may3, may3, may3, may3, datetime.date(2024, 9, 3), None, None, None, None,
    ]  # fmt: skip
    assert parse_dates(pl.Series(["03/05/2024"]), order="mdy").to_list() == [may5]
    assert parse_dates(pl.Series(["03/05/2024"])).to_list() == [may5]


def test_datetimes() -> None:
    raw = ["2024-05-03T10:30:15Z", "2024-05-03 9:05 PM", "2024-05-03", "2024-05-03 25:00"]
    assert parse_dates(pl.Series(raw), with_time=True).to_list() == [
        datetime.datetime(2024, 5, 3, 10, 30, 15),
        datetime.datetime(2024, 5, 3, 21, 5),
        datetime.datetime(2024, 5, 3),
        None,
    ]


def test_booleans_in_several_spellings() -> None:
    raw = ["Yes", " no", "TRUE", "f", "1", "0", "On", "maybe", None]
    assert parse_booleans(pl.Series(raw)).to_list() == [
        True, False, True, False, True, False, True, None, None,
    ]  # fmt: skip
