"""Declared calculations: read from params, checked before a run, applied in order."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from actorflow.agents.expressions import (
    Calculation,
    CalculationCounts,
    FieldType,
    apply_calculations,
    calculate_row,
    calculation_problems,
    check_calculations,
    parse_calculations,
)
from actorflow.contracts import WorkflowValidationError

FIELDS = {
    "clicks": FieldType("integer"),
    "impressions": FieldType("integer"),
    "revenue": FieldType("money", 2),
    "name": FieldType("string"),
}
DECLARED = {
    "ctr": {"expr": "clicks / impressions", "scale": 4},
    "rpm": "revenue / impressions * 1000",
    "rpm_band": "if(rpm >= 15, 'high', 'low')",  # uses the calculation before it
}


def test_bare_strings_and_tables_are_read_in_order() -> None:
    assert parse_calculations("process", DECLARED) == (
        Calculation("ctr", "clicks / impressions", 4),
        Calculation("rpm", "revenue / impressions * 1000"),
        Calculation("rpm_band", "if(rpm >= 15, 'high', 'low')"),
    )


def test_malformed_declarations_are_all_reported_with_their_field() -> None:
    with pytest.raises(WorkflowValidationError) as caught:
        parse_calculations(
            "process",
            {"a": 3, "b": {"expr": "x", "scale": -1}, "c": {"expr": "x", "places": 2}, "d": {}},
        )
    problems = {p.field: p.message for p in caught.value.problems}
    assert set(problems) == {f"params.calculations.{name}" for name in "abcd"}
    assert "not int" in problems["params.calculations.a"]
    assert "scale must be a whole number from 0 to 38, not -1" in problems["params.calculations.b"]
    assert "unknown setting(s) places" in problems["params.calculations.c"]
    assert "expr must be the expression text" in problems["params.calculations.d"]
    assert all(p.stage == "process" for p in caught.value.problems)


def test_type_errors_name_the_stage_calculation_expression_and_column() -> None:
    declared = parse_calculations(
        "process", {"ok": "clicks + 1", "bad": "name + 1", "worse": "ok * nope"}
    )
    checked, problems = calculation_problems("process", declared, FIELDS)
    assert [c.name for c in checked] == ["ok"]
    assert [p.field for p in problems] == ["params.calculations.bad", "params.calculations.worse"]
    assert problems[0].message.startswith(
        "bad = 'name + 1': cannot apply '+' to string and integer"
    )
    assert "(column 6)" in problems[0].message
    assert "unknown field 'nope'" in problems[1].message
    with pytest.raises(
        WorkflowValidationError, match=r"stage 'process', field 'params\.calculations\.bad'"
    ):
        check_calculations("process", declared, FIELDS)


def test_applied_calculations_match_the_row_by_row_twin_and_count_zero_divisors() -> None:
    calculations = check_calculations("process", parse_calculations("process", DECLARED), FIELDS)
    frame = pl.DataFrame(
        {
            "clicks": [100, 170, 3],
            "impressions": [8000, 10000, 0],
            "revenue": [Decimal("120.00"), Decimal("100.00"), Decimal("1.00")],
            "name": ["a", "b", "c"],
        },
        schema_overrides={"revenue": pl.Decimal(38, 2)},
    )
    result, counts = apply_calculations(frame, calculations)
    assert result["ctr"].to_list() == [Decimal("0.0125"), Decimal("0.0170"), None]
    assert result["rpm"].to_list() == [Decimal("15.00"), Decimal("10.00"), None]
    assert result["rpm_band"].to_list() == ["high", "low", "low"]
    assert result.schema["ctr"] == pl.Decimal(38, 4)
    assert counts == {
        "ctr": CalculationCounts(divided_by_zero=1),
        "rpm": CalculationCounts(divided_by_zero=1),
        "rpm_band": CalculationCounts(),
    }
    rows = [calculate_row(row, calculations) for row in frame.iter_rows(named=True)]
    assert [values for values, _ in rows] == result.to_dicts()
    assert sum(c["ctr"].divided_by_zero for _, c in rows) == 1


def test_a_constant_calculation_fills_every_row() -> None:
    calculations = check_calculations("p", parse_calculations("p", {"one": "1.5"}), FIELDS)
    frame = pl.DataFrame({"clicks": [1, 2, 3]})
    assert apply_calculations(frame, calculations)[0]["one"].to_list() == [Decimal("1.50")] * 3
