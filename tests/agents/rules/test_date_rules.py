"""Date parsing: Python's strptime semantics, matched by the vectorized rule."""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.rules import DATE_FORMATS, parse_date, parse_date_expr, parse_date_series
from actorflow.testing import assert_rule_agrees, date_strings, optional


def _vectorized(values: list[str | None]) -> list[str | None]:
    return parse_date_series(pl.Series(values, dtype=pl.String)).to_list()


def test_vectorized_date_parsing_agrees_with_scalar_spec() -> None:
    assert_rule_agrees(parse_date, parse_date_expr, optional(date_strings()), max_examples=200)


def test_vectorized_date_parsing_agrees_on_arbitrary_unicode_text() -> None:
    assert_rule_agrees(parse_date, parse_date_expr, st.text(max_size=20))


@settings(deadline=None)
@given(date_strings())
def test_parsed_dates_are_iso_with_a_four_digit_year(value: str) -> None:
    parsed = parse_date(value)
    if parsed is not None:
        assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", parsed)
        assert int(parsed[:4]) >= 1


@settings(deadline=None)
@given(date_strings())
def test_date_parsing_is_idempotent(value: str) -> None:
    parsed = parse_date(value)
    if parsed is not None:
        assert parse_date(parsed) == parsed
        assert _vectorized([parsed]) == [parsed]


@settings(deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1)), st.sampled_from(DATE_FORMATS))
def test_every_real_date_in_every_format_parses_to_its_day(moment: datetime, fmt: str) -> None:
    # Python's %Y prints years below 1000 unpadded, which %Y does not read back.
    text = moment.strftime(fmt.replace("%Y", f"{moment.year:04d}"))
    parsed = parse_date(text)
    day_first = fmt == "%d/%m/%Y" and moment.day <= 12
    expected = moment.strftime(
        f"{moment.year:04d}-%d-%m" if day_first else f"{moment.year:04d}-%m-%d"
    )
    assert parsed == expected
    assert _vectorized([text]) == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 2024-01-05", None),  # polars' strptime accepts the leading space; Python does not
        ("2024-01-05 ", None),
        ("0999-12-31", "0999-12-31"),  # year < 1000 keeps four digits
        ("999-12-31", None),  # %Y reads exactly four digits
        ("0000-01-01", None),  # year 0 does not exist
        ("2024-1-5", "2024-01-05"),
        ("2024-01- 5", "2024-01-05"),  # strptime's %d allows one leading space
        (" 5/01/2024", "2024-01-05"),  # ...so day/month/year may start with one
        ("01/02/2024", "2024-01-02"),  # month first wins when both read
        ("13/01/2024", "2024-01-13"),  # else day first
        ("02/30/2024", None),
        ("2024-02-29", "2024-02-29"),
        ("2023-02-29", None),
        ("1900-02-29", None),
        ("2000-02-29", "2000-02-29"),
        ("2024-01-05T10:11:12", "2024-01-05"),
        ("2024-01-05t10:11:12", "2024-01-05"),  # strptime ignores case
        ("2024-01-05   10:11:12", "2024-01-05"),  # a space in the format is \s+
        ("2024-01-05\x1c10:11:12", "2024-01-05"),  # \x1c is whitespace to Python's re
        ("2024-01-05\u300010:11:12", "2024-01-05"),
        ("2024-01-05 10:11:60", None),  # datetime() refuses second 60
        ("2024-01-05 24:00:00", None),
        ("2024-01-05 1:2:3", "2024-01-05"),
        ("\u0662\u0660\u0662\u0664-01-05", "2024-01-05"),  # \d and int() take any digit
        ("2024-01-3\u0661", None),  # ...but [0-3] is ASCII
        ("2024-01-05\n", None),
        ("", None),
        ("garbage", None),
    ],
)
def test_tricky_dates_parse_as_python_strptime_does(raw: str, expected: str | None) -> None:
    assert parse_date(raw) == expected
    assert _vectorized([raw]) == [expected]


def test_null_date_stays_null() -> None:
    assert parse_date(None) is None
    assert _vectorized([None]) == [None]


def test_repeated_dates_take_the_distinct_value_path_and_still_agree() -> None:
    values = [
        "2024-01-05",
        "1/5/2024",
        " 2024-01-05",
        "bad",
        None,
        "\u0662\u0660\u0662\u0664-01-05",
    ]
    assert _vectorized(values * 50) == [parse_date(v) for v in values] * 50
