"""The scalar evaluator: one row of Python values at a time. It is the specification.

A NaN read from a number field is null. Values inside an expression: ``int`` for
integers, ``Fraction`` for decimals (exact, so
``revenue / impressions * 1000`` rounds once, at the end), ``float`` for numbers, and
``str``, ``bool``, ``date``, ``datetime``; ``None`` is null. Null propagates through
operators and functions (SQL-like); ``and``/``or`` are three-valued; ``if`` takes the
else branch on a null condition; ``coalesce`` returns its first non-null argument.
Dividing a value by zero gives null and is reported (a null dividend is just null).
The result is converted to its declared type: a decimal is rounded half-even to its
scale, and a value that does not fit the column (Int64, ``Decimal(38, scale)``) becomes
null and is reported as an overflow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ._checker import Checked
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
from ._types import MAX_PRECISION, ValueType

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The value of an expression for one row, and what happened on the way.

    Attributes:
        value: the result (``int``, ``Decimal``, ``float``, ``str``, ``bool``, ``date``,
            ``datetime``) or None.
        divided_by_zero: a division by zero was evaluated (its quotient was null).
        overflowed: the result did not fit its column type and is null.
    """

    value: Any
    divided_by_zero: bool = False
    overflowed: bool = False


class _Flags:
    __slots__ = ("divided_by_zero",)

    def __init__(self) -> None:
        self.divided_by_zero = False


_Eval = Callable[[Row, _Flags], Any]


def _as(kind: str) -> Callable[[Any], Any]:
    """Conversion of a numeric operand to the kind an operation computes in."""
    if kind == "number":
        return float
    if kind == "decimal":
        return Fraction
    return lambda value: value


def _arith(op: str, left: Any, right: Any, flags: _Flags) -> Any:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        flags.divided_by_zero = True
        return None
    return (
        Fraction(left, right) if isinstance(left, int) and isinstance(right, int) else left / right
    )


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _kleene(op: str, left: bool | None, right: bool | None) -> bool | None:
    if op == "and":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def round_half_even(value: Fraction, places: int) -> Fraction:
    """``value`` rounded half-even to ``places`` decimal places (exactly)."""
    scaled = round(value * 10**places)  # round() of a Fraction is half-even
    return Fraction(scaled, 10**places)


class _Builder:
    def __init__(self, checked: Checked) -> None:
        self.checked = checked

    def kind(self, node: Node) -> str:
        return self.checked.type_of(node).kind

    def converted(self, node: Node, kind: str) -> _Eval:
        """``node``'s evaluator, its value converted to the numeric ``kind``."""
        inner = self.build(node)
        if self.kind(node) == kind or kind not in ("decimal", "number"):
            return inner
        convert = _as(kind)

        def run(row: Row, flags: _Flags) -> Any:
            value = inner(row, flags)
            return None if value is None else convert(value)

        return run

    def build(self, node: Node) -> _Eval:
        if isinstance(node, Number):
            constant: Any = node.value if isinstance(node.value, int) else Fraction(node.value)
            return lambda _row, _flags: constant
        if isinstance(node, String | Boolean):
            literal: Any = node.value
            return lambda _row, _flags: literal
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Unary):
            return self.unary(node)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def field(self, node: Field) -> _Eval:
        name, kind = node.name, self.kind(node)
        convert: Callable[[Any], Any]
        if kind in ("decimal", "number", "integer"):
            convert = {"decimal": Fraction, "number": float, "integer": int}[kind]
        elif kind == "string":
            convert = str
        else:
            return lambda row, _flags: row.get(name)

        def read(row: Row, _flags: _Flags) -> Any:
            value = row.get(name)
            if value is None:
                return None
            value = convert(value)
            return None if value != value else value  # NaN is missing  # noqa: PLR0124

        return read

    def unary(self, node: Unary) -> _Eval:
        operand = self.build(node.operand)
        if node.op == "-":
            return lambda row, flags: None if (v := operand(row, flags)) is None else -v
        return lambda row, flags: None if (v := operand(row, flags)) is None else not v

    def binary(self, node: Binary) -> _Eval:
        op = node.op
        if op in ARITHMETIC or op in COMPARISONS:
            kinds = {self.kind(node.left), self.kind(node.right)}
            # Mixed numbers compute in the widest kind (the compiled form does the same).
            common = "number" if "number" in kinds else "decimal" if "decimal" in kinds else ""
            left, right = self.converted(node.left, common), self.converted(node.right, common)
        else:
            left, right = self.build(node.left), self.build(node.right)
        if op in ARITHMETIC:

            def arith(row: Row, flags: _Flags) -> Any:
                a, b = left(row, flags), right(row, flags)
                return None if a is None or b is None else _arith(op, a, b, flags)

            return arith
        if op in COMPARISONS:

            def compare(row: Row, flags: _Flags) -> Any:
                a, b = left(row, flags), right(row, flags)
                return None if a is None or b is None else _compare(op, a, b)

            return compare
        # Both operands are always evaluated, so a division by zero on either side counts.
        return lambda row, flags: _kleene(op, left(row, flags), right(row, flags))

    def call(self, node: Call) -> _Eval:
        kind = self.kind(node)
        args = [self.converted(arg, kind) for arg in node.args]
        name = node.name
        if name == "if":
            condition = self.build(node.args[0])
            then, otherwise = args[1], args[2]
            return lambda row, flags: (then if condition(row, flags) is True else otherwise)(
                row, flags
            )
        if name == "coalesce":

            def first(row: Row, flags: _Flags) -> Any:
                for arg in args:
                    value = arg(row, flags)
                    if value is not None:
                        return value
                return None

            return first
        if name in ("min", "max"):
            pick = min if name == "min" else max

            def extreme(row: Row, flags: _Flags) -> Any:
                values = [arg(row, flags) for arg in args]
                return None if any(v is None for v in values) else pick(values)

            return extreme
        return self.unary_function(node, args[0])

    def unary_function(self, node: Call, arg: _Eval) -> _Eval:
        name = node.name
        if name == "round":
            places = node.args[1].value if len(node.args) == 2 else 0  # type: ignore[union-attr]
            assert isinstance(places, int)
            kind = self.kind(node)
            if kind == "integer":
                return arg
            rounder: Callable[[Any], Any] = (
                (lambda v: round(v, places))
                if kind == "number"
                else (lambda v: round_half_even(v, places))
            )
            return lambda row, flags: None if (v := arg(row, flags)) is None else rounder(v)
        part: Callable[[date], Any] = {
            "abs": abs,
            "year": lambda d: d.year,
            "month": lambda d: d.month,
            "day": lambda d: d.day,
            "year_month": lambda d: f"{d.year:04d}-{d.month:02d}",
        }[name]
        return lambda row, flags: None if (v := arg(row, flags)) is None else part(v)


def finish(value: Any, result: ValueType) -> tuple[Any, bool]:
    """Convert an expression's value to its result type: ``(value, overflowed)``."""
    if value is None:
        return None, False
    if result.kind == "integer":
        return (value, False) if INT64_MIN <= value <= INT64_MAX else (None, True)
    if result.kind == "decimal":
        scale = result.scale or 0
        units = round(Fraction(value) * 10**scale)
        if abs(units) >= 10**MAX_PRECISION:
            return None, True
        # Built from text: Decimal arithmetic would round past 28 digits.
        return Decimal(f"{units}E-{scale}"), False
    if result.kind == "number":
        return float(value), False
    return value, False


def scalar_evaluator(checked: Checked) -> Callable[[Row], Outcome]:
    """Build the row evaluator of a checked expression (build once, call per row).

    Args:
        checked: the expression, as :func:`check_expression` returns it.

    Returns:
        A function from a row (field name -> Python value; decimals as ``Decimal``) to
        its :class:`Outcome`.
    """
    run = _Builder(checked).build(checked.tree)
    result = checked.result

    def evaluate(row: Row) -> Outcome:
        flags = _Flags()
        value, overflowed = finish(run(row, flags), result)
        return Outcome(value, flags.divided_by_zero, overflowed)

    return evaluate
