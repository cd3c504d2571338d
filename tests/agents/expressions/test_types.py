"""Type checking: every clash is found before any data is read, naming the place."""

from __future__ import annotations

import pytest

from actorflow.agents.expressions import (
    ExpressionError,
    FieldType,
    ValueType,
    check_expression,
    result_type,
)

FIELDS = {
    "clicks": FieldType("integer"),
    "impressions": FieldType("integer"),
    "revenue": FieldType("money", 2),
    "rate": FieldType("decimal", 4),
    "score": FieldType("number"),
    "name": FieldType("string"),
    "region": FieldType("category"),
    "order_date": FieldType("date"),
    "seen_at": FieldType("datetime"),
    "active": FieldType("boolean"),
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("clicks + impressions * 2", ValueType("integer")),
        ("clicks / impressions", ValueType("decimal", 2)),
        ("revenue - rate", ValueType("decimal", 2)),
        ("revenue * score", ValueType("number")),
        ("clicks / score", ValueType("number")),
        ("month(order_date)", ValueType("integer")),
        ("year(seen_at)", ValueType("integer")),
        ("year_month(order_date)", ValueType("string")),
        ("if(revenue > 1000, 'big', 'small')", ValueType("string")),
        ("if(active, clicks, revenue)", ValueType("decimal", 2)),
        ("coalesce(score, clicks)", ValueType("number")),
        ("region = 'EU' and not active", ValueType("boolean")),
        ("round(clicks / impressions, 4)", ValueType("decimal", 2)),
        ("abs(-clicks)", ValueType("integer")),
        ("max(name, 'm')", ValueType("string")),
        ("min(order_date, order_date)", ValueType("date")),
    ],
)
def test_result_types_follow_the_promotion_rules(source: str, expected: ValueType) -> None:
    assert result_type(source, FIELDS) == expected


def test_a_decimal_result_takes_the_declared_scale() -> None:
    assert result_type("revenue / impressions * 1000", FIELDS, scale=4) == ValueType("decimal", 4)
    assert result_type("clicks + 1", FIELDS, scale=4) == ValueType("integer")


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("clics / impressions", "unknown field 'clics'; did you mean 'clicks'?", 1),
        ("'name' + 1", "cannot apply '+' to string and integer", 8),
        ("name + 1", "cannot apply '+' to string and integer", 6),
        ("month(revenue)", "month() needs a date or datetime, not decimal", 7),
        (
            "if(clicks > 1, 'big', 0)",
            "if() needs arguments of one type, got string and integer",
            23,
        ),
        ("if(clicks, 1, 2)", "the condition of if() must be a boolean", 4),
        ("order_date < seen_at", "cannot compare date with datetime", 12),
        ("active < true", "booleans are only compared with = and !=", 8),
        ("clicks and active", "'and' needs booleans", 8),
        ("not clicks", "'not' needs a boolean operand, not integer", 1),
        ("-name", "'-' needs a numeric operand, not string", 1),
        ("round(revenue, clicks)", "round() places must be a whole number written out", 16),
        ("round(revenue, 40)", "round() keeps at most 18 places", 16),
        ("sqrt(clicks)", "unknown function 'sqrt'", 1),
        ("if(active, 1)", "if() takes 3 arguments, got 2", 1),
        ("coalesce()", "coalesce() takes at least 1 argument, got 0", 1),
        ("max(active, active)", "max() cannot order boolean values", 1),
        ("clicks * 1" + "0" * 38, "a number has at most 38 digits", 10),
        ("0." + "0" * 38 + "1", "a number has at most 38 digits", 1),
    ],
)
def test_type_errors_name_the_fault_and_its_column(source: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        check_expression(source, FIELDS)
    assert message in caught.value.message
    assert caught.value.column == column


def test_an_unknown_field_lists_the_known_ones_when_nothing_is_close() -> None:
    with pytest.raises(ExpressionError, match="known fields: a, b"):
        check_expression("zzz + 1", {"a": FieldType("integer"), "b": FieldType("integer")})


def test_field_types_reject_what_a_contract_cannot_declare() -> None:
    with pytest.raises(ValueError, match="unknown field kind 'float'"):
        FieldType("float")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scale"):
        FieldType("integer", 2)
