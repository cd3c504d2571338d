"""Properties: on random well-typed expressions over random tables (nulls, zeros, values
near the limits), the compiled polars form gives what the scalar evaluator gives, row
for row: decimals exactly (value and scale), floats within 1e-9 relative, and the same
division-by-zero and overflow flags.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.expressions import (
    Binary,
    Boolean,
    Call,
    ExpressionError,
    Field,
    FieldType,
    Node,
    Number,
    String,
    Unary,
    check_expression,
    compile_expression,
    scalar_evaluator,
    to_source,
)

FIELDS: dict[str, FieldType] = {
    "i1": FieldType("integer"),
    "i2": FieldType("integer"),
    "m": FieldType("money", 2),
    "d3": FieldType("decimal", 3),
    "d0": FieldType("decimal", 0),
    "f1": FieldType("number"),
    "f2": FieldType("number"),
    "s1": FieldType("string"),
    "s2": FieldType("category"),
    "b1": FieldType("boolean"),
    "b2": FieldType("boolean"),
    "dt": FieldType("date"),
    "ts": FieldType("datetime"),
}


def _kind_of(name: str) -> str:
    declared = FIELDS[name].kind
    return {"money": "decimal", "category": "string"}.get(declared, declared)


LEAVES: dict[str, list[str]] = {}
for _name in FIELDS:
    LEAVES.setdefault(_kind_of(_name), []).append(_name)


def _units(scale: int) -> st.SearchStrategy[Decimal]:
    small = st.integers(-(10**6), 10**6) | st.sampled_from([0, 1, -1, 5, 15, 25])
    big = st.integers(-(10**37), 10**37)
    return (small | big).map(lambda units: Decimal(f"{units}E-{scale}"))


COLUMNS: dict[str, tuple[pl.DataType, st.SearchStrategy[Any]]] = {
    "i1": (pl.Int64(), st.integers(-5, 5) | st.integers(-(2**63), 2**63 - 1)),
    "i2": (pl.Int64(), st.integers(-1000, 1000) | st.sampled_from([0, 2, 2**62, -(2**62)])),
    "m": (pl.Decimal(38, 2), _units(2)),
    "d3": (pl.Decimal(38, 3), _units(3)),
    "d0": (pl.Decimal(38, 0), _units(0)),
    "f1": (pl.Float64(), st.floats(-1e6, 1e6) | st.sampled_from([0.0, -0.0, math.nan])),
    "f2": (pl.Float64(), st.floats(-1e3, 1e3, allow_subnormal=False)),
    "s1": (pl.String(), st.text(max_size=4)),
    "s2": (pl.String(), st.sampled_from(["EU", "US", "", "é"])),
    "b1": (pl.Boolean(), st.booleans()),
    "b2": (pl.Boolean(), st.booleans()),
    "dt": (pl.Date(), st.dates(date(1900, 1, 1), date(2100, 12, 31))),
    "ts": (pl.Datetime("us"), st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31))),
}


# Magnitudes near the top of Decimal(38, s) and Int64, drawn often, so that Int128
# products and sums pass 2**127 and the overflow guards must act.
BIG: dict[str, st.SearchStrategy[Any]] = {
    "i1": st.integers(2**40, 2**63 - 1).map(lambda v: -v if v % 3 == 0 else v),
    "i2": st.integers(2**30, 2**62) | st.just(0),
    **{
        name: st.integers(10**25, 10**37).map(lambda u, s=scale: Decimal(f"{u}E-{s}"))
        for name, scale in (("m", 2), ("d3", 3), ("d0", 0))
    },
}


@st.composite
def tables(draw: st.DrawFn, big: bool = False) -> pl.DataFrame:
    rows = draw(st.integers(1, 6))
    data = {
        name: draw(
            st.lists(
                st.none() | values | (BIG[name] if big and name in BIG else st.nothing()),
                min_size=rows,
                max_size=rows,
            )
        )
        for name, (_dtype, values) in COLUMNS.items()
    }
    return pl.DataFrame(data, schema={name: dtype for name, (dtype, _) in COLUMNS.items()})


def leaf(kind: str) -> st.SearchStrategy[Node]:
    fields = st.sampled_from(LEAVES[kind]).map(Field)
    literal: st.SearchStrategy[Node] = {
        "integer": st.integers(0, 10**6).map(Number) | st.sampled_from([0, 1, 2, 1000]).map(Number),
        "decimal": st.decimals(0, 1000, places=2).map(Number)
        | st.sampled_from(["0.01", "0.5", "0.000"]).map(lambda text: Number(Decimal(text))),
        "number": fields,  # no float literal syntax: a number comes from a field
        "string": st.sampled_from(["EU", "", "b", "x y"]).map(String),
        "boolean": st.booleans().map(Boolean),
        "date": fields,
        "datetime": fields,
    }[kind]
    return fields | literal


EXACT = ("integer", "decimal")


def exact_leaf() -> st.SearchStrategy[Node]:
    # A number meets exact values only at leaves: converting a leaf to float is correctly
    # rounded in both forms, so the float results agree to the last bit.
    return leaf("integer") | leaf("decimal")


def expression(kind: str, depth: int) -> st.SearchStrategy[Node]:
    if depth <= 0:
        return leaf(kind)
    sub = lambda k: expression(k, depth - 1)  # noqa: E731
    same = sub(kind)
    choices: list[st.SearchStrategy[Node]] = [leaf(kind)]
    condition = sub("boolean")
    choices.append(st.builds(lambda c, a, b: Call("if", (c, a, b)), condition, same, same))
    choices.append(
        st.lists(same, min_size=1, max_size=3).map(lambda xs: Call("coalesce", tuple(xs)))
    )
    if kind in ("integer", "decimal", "number", "string", "date"):
        choices.append(
            st.builds(lambda f, a, b: Call(f, (a, b)), st.sampled_from(["min", "max"]), same, same)
        )
    if kind == "integer":
        ints = sub("integer")
        choices += [
            st.builds(Binary, st.sampled_from(["+", "-", "*"]), ints, ints),
            st.builds(lambda x: Unary("-", x), ints),
            st.builds(lambda x: Call("abs", (x,)), ints),
            st.builds(lambda f, d: Call(f, (d,)), st.sampled_from(["year", "month", "day"]),
                      sub("date") | sub("datetime")),
        ]  # fmt: skip
    if kind == "decimal":
        exact = sub("integer") | sub("decimal")
        choices += [
            st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), sub("decimal"), exact),
            st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), exact, sub("decimal")),
            st.builds(lambda a, b: Binary("/", a, b), sub("integer"), sub("integer")),
            st.builds(lambda x: Unary("-", x), sub("decimal")),
            st.builds(lambda x: Call("abs", (x,)), sub("decimal")),
            st.builds(
                lambda x, n: Call("round", (x, Number(n))), sub("decimal"), st.integers(0, 4)
            ),
        ]
    if kind == "number":
        floats = sub("number")
        either = floats | exact_leaf()
        choices += [
            st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), floats, either),
            st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), either, floats),
            st.builds(lambda x: Unary("-", x), floats),
            st.builds(lambda x: Call("abs", (x,)), floats),
            st.builds(lambda a, b: Call("if", (Boolean(True), a, b)), floats, exact_leaf()),
        ]
    if kind == "string":
        choices.append(st.builds(lambda d: Call("year_month", (d,)), sub("date") | sub("datetime")))
    if kind == "boolean":
        exact = sub("integer") | sub("decimal")
        ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
        choices += [
            st.builds(Binary, ops, exact, exact),
            st.builds(Binary, ops, leaf("number"), leaf("number") | exact_leaf()),
            st.builds(Binary, ops, sub("string"), sub("string")),
            st.builds(Binary, ops, sub("date"), sub("date")),
            st.builds(Binary, ops, sub("datetime"), sub("datetime")),
            st.builds(Binary, st.sampled_from(["=", "!="]), sub("boolean"), sub("boolean")),
            st.builds(Binary, st.sampled_from(["and", "or"]), sub("boolean"), sub("boolean")),
            st.builds(lambda x: Unary("not", x), sub("boolean")),
        ]
    return st.one_of(choices)


KINDS = ["integer", "decimal", "number", "string", "boolean", "date", "datetime"]
#: (the kind it was built to have, an expression of that kind)
typed_expressions = st.sampled_from(KINDS).flatmap(
    lambda kind: st.tuples(
        st.just(kind), st.integers(0, 3).flatmap(lambda depth: expression(kind, depth))
    )
)


def same_value(compiled: Any, scalar: Any) -> bool:
    if isinstance(scalar, float) and isinstance(compiled, float):
        if math.isnan(scalar) or math.isnan(compiled):
            return math.isnan(scalar) and math.isnan(compiled)
        return math.isclose(compiled, scalar, rel_tol=1e-9, abs_tol=1e-12) or compiled == scalar
    if isinstance(scalar, Decimal):
        return isinstance(compiled, Decimal) and str(compiled) == str(scalar)
    return type(compiled) is type(scalar) and compiled == scalar


@settings(max_examples=400)
@given(
    typed_expressions,
    st.booleans().flatmap(lambda big: tables(big=big)),
    st.sampled_from([None, 0, 2, 4]),
)
def test_compiled_expressions_agree_with_the_scalar_evaluator(
    typed: tuple[str, Node], frame: pl.DataFrame, scale: int | None
) -> None:
    kind, tree = typed
    source = to_source(tree)
    checked = check_expression(source, FIELDS, scale)
    assert checked.result.kind == kind
    # with_columns, not select: a constant expression broadcasts to the frame's height.
    outcome = frame.with_columns(compile_expression(checked).outcome.alias("o"))["o"]
    compiled = outcome.struct.unnest().to_dicts()
    evaluate = scalar_evaluator(checked)
    for row, got in zip(frame.iter_rows(named=True), compiled, strict=True):
        want = evaluate(row)
        assert same_value(got["value"], want.value), (source, row, got, want)
        assert got["divided_by_zero"] == want.divided_by_zero, (source, row, got, want)
        assert got["overflowed"] == want.overflowed, (source, row, got, want)


@given(typed_expressions, st.sampled_from(sorted(FIELDS)))
def test_a_type_clash_is_found_before_evaluation(typed: tuple[str, Node], name: str) -> None:
    kind, tree = typed
    other = _kind_of(name)
    source = to_source(Binary("+", tree, Field(name)))
    numeric = {"integer", "decimal", "number"}
    if kind in numeric and other in numeric:
        assert check_expression(source, FIELDS).result.kind in numeric
        return
    with pytest.raises(ExpressionError) as caught:
        check_expression(source, FIELDS)  # no data anywhere: the clash is found statically
    assert caught.value.message == f"cannot apply '+' to {kind} and {other}"
    assert caught.value.column == source.rindex(" + ") + 2


NEAR_THE_LIMIT = [
    "m * d3",
    "i1 * i1 * i1",
    "m * 1000 / i2",
    "d0 + d0 - d3",
    "d0 / d3 / i2",
    "m * d3 > d0",
    "min(m * 7, d0 * 1000)",
    "round(m * m, 1) / 3",
    "i1 * i2 + i1",
    "if(b1, m * m, d0)",
]


@settings(max_examples=200)
@given(st.sampled_from(NEAR_THE_LIMIT), tables(big=True), st.sampled_from([None, 0, 4]))
def test_values_near_the_int128_limit_agree_too(
    source: str, frame: pl.DataFrame, scale: int | None
) -> None:
    checked = check_expression(source, FIELDS, scale)
    outcome = frame.with_columns(compile_expression(checked).outcome.alias("o"))["o"]
    evaluate = scalar_evaluator(checked)
    for row, got in zip(
        frame.iter_rows(named=True), outcome.struct.unnest().to_dicts(), strict=True
    ):
        want = evaluate(row)
        assert same_value(got["value"], want.value), (source, row, got, want)
        assert (got["divided_by_zero"], got["overflowed"]) == (
            want.divided_by_zero,
            want.overflowed,
        )
