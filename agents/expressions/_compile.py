"""The compiled form: a checked expression to one vectorised polars expression.

It computes exactly what :mod:`._scalar` computes, row for row: integers and decimals
through :mod:`._exact` (fractions of Int128), floats as Float64, and the same null,
division-by-zero and overflow rules. Rows where the Int128 arithmetic might overflow
(values near 10**37) are recomputed by the scalar evaluator, so the result never
depends on the representation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from typing import Any, cast

import polars as pl

from ._checker import Checked
from ._exact import I128, Exact, ExactOps, lit128, literal, needs_guard, negate, over_limit
from ._nodes import (
    ARITHMETIC,
    COMPARISONS,
    Binary,
    Boolean,
    Call,
    Field,
    Node,
    Number,
    String,
    Unary,
)
from ._scalar import INT64_MAX, INT64_MIN, scalar_evaluator
from ._types import MAX_PRECISION, ValueType, field_scale

_Value = Exact | pl.Expr
#: Struct field names of the outcome; the NUL keeps them apart from any field name.
VALUE, DIVIDED_BY_ZERO, OVERFLOWED = "value", "divided_by_zero", "overflowed"
_RISKY, _FAST = "\0risky", "\0fast"


def dtype_of(result: ValueType) -> pl.DataType:
    """The polars dtype of a result type."""
    if result.kind == "decimal":
        return pl.Decimal(MAX_PRECISION, result.scale or 0)
    return {
        "integer": pl.Int64(),
        "number": pl.Float64(),
        "string": pl.String(),
        "boolean": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Datetime(),
    }[result.kind]


def _any(flags: list[pl.Expr | None]) -> pl.Expr | None:
    present = [flag for flag in flags if flag is not None]
    return reduce(lambda a, b: a | b, present) if present else None


def _false(flag: pl.Expr | None) -> pl.Expr:
    return pl.lit(value=False) if flag is None else flag


class _Compiler:
    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        self.risky: list[pl.Expr] = []
        self.ops = ExactOps(self.guard)

    def guard(self, bound: int, estimate: Callable[[], pl.Expr]) -> None:
        if needs_guard(bound):
            self.risky.append(over_limit(estimate()))

    def kind(self, node: Node) -> str:
        return self.checked.type_of(node).kind

    def as_kind(self, value: _Value, kind: str) -> _Value:
        """Convert a numeric value to the kind an operation computes in."""
        if kind == "number" and isinstance(value, Exact):
            return value.to_float()
        return value

    def compile(self, node: Node) -> tuple[_Value, pl.Expr | None]:  # noqa: PLR0911 - per node type
        """The node's value and its division-by-zero flag (None: cannot happen)."""
        if isinstance(node, Number):
            return literal(node.value), None
        if isinstance(node, String):
            return pl.lit(node.value, pl.String), None
        if isinstance(node, Boolean):
            return pl.lit(node.value, pl.Boolean), None
        if isinstance(node, Field):
            return self.field(node), None
        if isinstance(node, Unary):
            operand, flag = self.compile(node.operand)
            if node.op == "not":
                return ~cast("pl.Expr", operand), flag
            if isinstance(operand, Exact):
                return Exact(
                    negate(operand.num),
                    operand.den,
                    operand.scale,
                    operand.num_bound,
                    operand.den_bound,
                ), flag
            return -operand, flag
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def field(self, node: Field) -> _Value:
        column = pl.col(node.name)
        declared = self.checked.fields[node.name]
        kind = self.kind(node)
        if kind == "decimal":
            scale = field_scale(declared)
            physical = column.cast(pl.Decimal(MAX_PRECISION, scale)).to_physical()
            return Exact(physical, None, scale, 10**MAX_PRECISION)
        if kind == "integer":
            return Exact(column.cast(I128), None, 0, 2**63)
        if kind == "number":
            # NaN is a missing value here: polars orders NaN above every number and calls
            # it equal to itself, Python calls every comparison with it false.
            return column.cast(pl.Float64).fill_nan(None)
        dtypes: dict[str, pl.DataType] = {
            "string": pl.String(),
            "boolean": pl.Boolean(),
            "date": pl.Date(),
        }
        return column.cast(dtypes[kind]) if kind in dtypes else column

    def binary(self, node: Binary) -> tuple[_Value, pl.Expr | None]:  # noqa: PLR0911 - per operator
        (left, left_flag), (right, right_flag) = self.compile(node.left), self.compile(node.right)
        flag = _any([left_flag, right_flag])
        op = node.op
        kinds = {self.kind(node.left), self.kind(node.right)}
        if "number" in kinds:
            left, right = self.as_kind(left, "number"), self.as_kind(right, "number")
        if op in ARITHMETIC:
            if isinstance(left, Exact) and isinstance(right, Exact):
                if op == "/":
                    quotient, zero = self.ops.div(left, right)
                    return quotient, _any([flag, zero])
                if op == "*":
                    return self.ops.mul(left, right), flag
                return self.ops.add(left, right, subtract=op == "-"), flag
            a, b = cast("pl.Expr", left), cast("pl.Expr", right)
            if op == "/":
                zero = b == 0.0
                reported = (zero & a.is_not_null()).fill_null(value=False)
                return pl.when(~zero).then(a / b), _any([flag, reported])
            return {"+": a + b, "-": a - b, "*": a * b}[op], flag
        if op in COMPARISONS:
            if isinstance(left, Exact) and isinstance(right, Exact):
                return self.ops.compare(op, left, right), flag
            a, b = cast("pl.Expr", left), cast("pl.Expr", right)
            compared = {
                "=": a == b,
                "!=": a != b,
                "<": a < b,
                "<=": a <= b,
                ">": a > b,
                ">=": a >= b,
            }
            return compared[op], flag
        a, b = cast("pl.Expr", left), cast("pl.Expr", right)
        return (a & b if op == "and" else a | b), flag

    def args(self, node: Call, kind: str) -> list[tuple[_Value, pl.Expr | None]]:
        return [(self.as_kind(value, kind), flag) for value, flag in map(self.compile, node.args)]

    def call(self, node: Call) -> tuple[_Value, pl.Expr | None]:
        kind = self.kind(node)
        if node.name == "if":
            condition, condition_flag = self.compile(node.args[0])
            cond = cast("pl.Expr", condition)
            (then, then_flag), (otherwise, else_flag) = self.args(
                Call("if", node.args[1:], node.position), kind
            )
            flag = None
            if then_flag is not None or else_flag is not None:
                flag = pl.when(cond).then(_false(then_flag)).otherwise(_false(else_flag))
            return self.select(cond, then, otherwise), _any([condition_flag, flag])
        if node.name == "coalesce":
            return self.coalesce(self.args(node, kind))
        if node.name in ("min", "max"):
            return self.extreme(node.name, self.args(node, kind))
        (value, flag), *_ = self.args(node, kind)
        return self.unary_function(node, value), flag

    def select(self, condition: pl.Expr, then: _Value, otherwise: _Value) -> _Value:
        if isinstance(then, Exact) and isinstance(otherwise, Exact):
            return self.ops.select(condition, then, otherwise)
        return pl.when(condition).then(cast("pl.Expr", then)).otherwise(cast("pl.Expr", otherwise))

    def coalesce(self, args: list[tuple[_Value, pl.Expr | None]]) -> tuple[_Value, pl.Expr | None]:
        # Right to left: coalesce(a, b, c) = if(a is not null, a, coalesce(b, c)); a later
        # argument's division by zero counts only where it was reached.
        value, flag = args[-1]
        for earlier, earlier_flag in reversed(args[:-1]):
            present = ~earlier.is_null()
            if flag is not None:
                flag = pl.when(present).then(pl.lit(value=False)).otherwise(flag)
            flag = _any([earlier_flag, flag])
            value = self.select(present, earlier, value)
        return value, flag

    def extreme(
        self, name: str, args: list[tuple[_Value, pl.Expr | None]]
    ) -> tuple[_Value, pl.Expr | None]:
        values = [value for value, _ in args]
        flag = _any([flag for _, flag in args])
        any_null = reduce(
            lambda a, b: a | b,
            [value.is_null() for value in values],
        )
        best = values[0]
        for value in values[1:]:
            if isinstance(best, Exact) and isinstance(value, Exact):
                keep = self.ops.compare("<=" if name == "min" else ">=", best, value)
            else:
                a, b = cast("pl.Expr", best), cast("pl.Expr", value)
                keep = a <= b if name == "min" else a >= b
            best = self.select(keep, best, value)
        if isinstance(best, Exact):
            return Exact(
                pl.when(~any_null).then(best.num),
                best.den,
                best.scale,
                best.num_bound,
                best.den_bound,
            ), flag
        return pl.when(~any_null).then(best), flag

    def unary_function(self, node: Call, value: _Value) -> _Value:  # noqa: PLR0911 - per function
        name = node.name
        if name in ("round", "abs"):
            if name == "abs":
                if isinstance(value, Exact):
                    return Exact(
                        value.num.abs(), value.den, value.scale, value.num_bound, value.den_bound
                    )
                return value.abs()
            places_node = node.args[1] if len(node.args) == 2 else Number(0)
            places = cast("int", cast("Number", places_node).value)
            if self.kind(node) == "integer":
                return value
            if isinstance(value, Exact):
                return self.ops.round(value, places)
            return value.round(places, mode="half_to_even")
        date = cast("pl.Expr", value)
        if name == "year_month":
            year = date.dt.year().cast(pl.String).str.zfill(4)
            month = date.dt.month().cast(pl.String).str.zfill(2)
            return pl.concat_str([year, pl.lit("-"), month])
        part = {"year": date.dt.year(), "month": date.dt.month(), "day": date.dt.day()}[name]
        return Exact(part.cast(I128), None, 0, 10**6)

    def finish(self, value: _Value) -> tuple[pl.Expr, pl.Expr | None]:
        """The result column and its overflow flag."""
        result = self.checked.result
        if not isinstance(value, Exact):
            return value.cast(dtype_of(result)), None
        if result.kind == "number":
            return value.to_float(), None
        places = result.scale or 0
        units = self.ops.round(value, places).num
        if result.kind == "integer":
            fits = units.is_between(lit128(INT64_MIN), lit128(INT64_MAX))
            # Not strict: a constant is cast before when() discards it (polars folds it).
            as_int = units.cast(pl.Int64, strict=False)
            return pl.when(fits).then(as_int), (~fits).fill_null(value=False)
        limit = lit128(10**MAX_PRECISION)
        fits = (units < limit) & (units > negate(limit))
        whole = units.cast(pl.Decimal(MAX_PRECISION, 0), strict=False)
        as_decimal = (whole * pl.lit(Decimal(1).scaleb(-places))).cast(dtype_of(result))
        column = pl.when(fits).then(as_decimal)
        return column, (~fits).fill_null(value=False)


@dataclass(frozen=True)
class CompiledExpression:
    """A checked expression as one polars expression.

    Attributes:
        checked: what was compiled.
        outcome: a struct expression with fields ``value`` (of :attr:`dtype`),
            ``divided_by_zero`` and ``overflowed`` (booleans, never null). Use it in
            ``with_columns``: like any polars literal, a constant expression gives a single
            row in a ``select`` of its own. Run it on a LazyFrame: the exact arithmetic
            reuses sub-expressions, which only lazy evaluation computes once (about ten
            times faster on a division).
        dtype: the polars type of the value.
    """

    checked: Checked
    outcome: pl.Expr
    dtype: pl.DataType

    @property
    def value(self) -> pl.Expr:
        """Just the value."""
        return self.outcome.struct.field(VALUE)


def compile_expression(checked: Checked) -> CompiledExpression:
    """Compile a checked expression to a vectorised polars expression.

    Args:
        checked: the expression, as :func:`check_expression` returns it.

    Returns:
        Its :class:`CompiledExpression`; select ``outcome`` (or ``value``) on a frame
        holding the fields the expression reads, of their declared types.
    """
    compiler = _Compiler(checked)
    value, divided = compiler.compile(checked.tree)
    column, overflowed = compiler.finish(value)
    dtype = dtype_of(checked.result)
    fast = pl.struct(
        column.cast(dtype).alias(VALUE),
        _false(divided).fill_null(value=False).alias(DIVIDED_BY_ZERO),
        _false(overflowed).alias(OVERFLOWED),
    )
    if not compiler.risky:
        return CompiledExpression(checked, fast, dtype)
    risky = reduce(lambda a, b: a | b, compiler.risky)
    inputs = [pl.col(name).alias(name) for name in sorted(checked.fields)]
    repair = _repairer(checked, dtype)
    outcome = pl.struct(fast.alias(_FAST), risky.alias(_RISKY), *inputs).map_batches(
        repair,
        return_dtype=pl.Struct({VALUE: dtype, DIVIDED_BY_ZERO: pl.Boolean, OVERFLOWED: pl.Boolean}),
        is_elementwise=True,
    )
    return CompiledExpression(checked, outcome, dtype)


def _repairer(checked: Checked, dtype: pl.DataType) -> Callable[[pl.Series], pl.Series]:
    """The batch function recomputing risky rows with the scalar evaluator."""
    evaluate = scalar_evaluator(checked)
    names = sorted(checked.fields)

    def repair(batch: pl.Series) -> pl.Series:
        fast = batch.struct.field(_FAST)
        rows = batch.struct.field(_RISKY).arg_true()
        if rows.len() == 0:
            return fast
        if names:
            inputs = batch.struct.unnest().select(names)[rows].iter_rows(named=True)
            outcomes = [evaluate(row) for row in inputs]
        else:  # a constant expression: one value, the same for every row
            outcomes = [evaluate({})] * rows.len()
        fixed: dict[str, Any] = {
            VALUE: pl.Series([o.value for o in outcomes], dtype=dtype),
            DIVIDED_BY_ZERO: pl.Series([o.divided_by_zero for o in outcomes], dtype=pl.Boolean),
            OVERFLOWED: pl.Series([o.overflowed for o in outcomes], dtype=pl.Boolean),
        }
        parts = fast.struct.unnest()
        columns = [
            parts.get_column(name).scatter(rows, fixed[name])
            for name in (VALUE, DIVIDED_BY_ZERO, OVERFLOWED)
        ]
        return pl.DataFrame(columns).to_struct(fast.name)

    return repair
