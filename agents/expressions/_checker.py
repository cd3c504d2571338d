"""Type checking: every node of a tree gets its type, or the first clash is reported.

Numbers promote ``integer`` < ``decimal`` < ``number``: integer ``+ - *`` integer stays an
integer, ``/`` of exact numbers is a decimal, and a float anywhere makes a float.
Decimal arithmetic inside an expression is exact; only the result is rounded (to the
calculation's scale), so the checker gives intermediate decimals no scale.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from ._errors import ExpressionError
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
    walk,
)
from ._types import (
    BOOLEAN,
    DECIMAL,
    DEFAULT_SCALE,
    INTEGER,
    MAX_PRECISION,
    NUMBER,
    NUMERIC,
    STRING,
    FieldType,
    ValueType,
    value_type,
)

#: Function name -> how it is called, for error messages and the docs.
FUNCTIONS: Mapping[str, str] = {
    "if": "if(condition, then, else)",
    "coalesce": "coalesce(a, b, ...)",
    "round": "round(x, places)",
    "abs": "abs(x)",
    "min": "min(a, b, ...)",
    "max": "max(a, b, ...)",
    "year": "year(date)",
    "month": "month(date)",
    "day": "day(date)",
    "year_month": "year_month(date)",
}
_ORDERED = frozenset({"integer", "decimal", "number", "string", "date", "datetime"})
#: ``round`` keeps at most this many places: a Decimal(38, s) needs room for the integer part.
MAX_ROUND_PLACES = 18


@dataclass(frozen=True, slots=True)
class Checked:
    """A well-typed expression, ready to evaluate or compile.

    Attributes:
        source: the expression text.
        tree: its syntax tree.
        types: the type of each node, keyed by ``id(node)`` (the tree keeps nodes alive).
        result: the type of the value; a decimal has the calculation's scale.
        fields: the type of each field it reads.
    """

    source: str
    tree: Node
    types: Mapping[int, ValueType]
    result: ValueType
    fields: Mapping[str, FieldType]

    def type_of(self, node: Node) -> ValueType:
        """The type of one node of :attr:`tree`."""
        return self.types[id(node)]


def numeric_join(kinds: list[str]) -> ValueType:
    """The common type of numeric operands: the widest of integer, decimal, number."""
    if "number" in kinds:
        return NUMBER
    return DECIMAL if "decimal" in kinds else INTEGER


class _Checker:
    def __init__(self, source: str, fields: Mapping[str, FieldType]) -> None:
        self.source = source
        self.fields = fields
        self.types: dict[int, ValueType] = {}

    def fail(self, message: str, node: Node) -> ExpressionError:
        return ExpressionError(message, self.source, node.position)

    def check(self, node: Node) -> ValueType:
        found = self.infer(node)
        self.types[id(node)] = found
        return found

    def infer(self, node: Node) -> ValueType:  # noqa: PLR0911 - one branch per node type
        if isinstance(node, Number):
            self.number(node)
            return INTEGER if isinstance(node.value, int) else DECIMAL
        if isinstance(node, String):
            return STRING
        if isinstance(node, Boolean):
            return BOOLEAN
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Unary):
            operand = self.check(node.operand)
            wanted = "boolean" if node.op == "not" else "numeric"
            if (operand.kind == "boolean") if node.op == "not" else (operand.kind in NUMERIC):
                return operand
            raise self.fail(f"'{node.op}' needs a {wanted} operand, not {operand.kind}", node)
        if isinstance(node, Binary):
            return self.binary(node)
        return self.call(node)

    def number(self, node: Number) -> None:
        # A literal must fit Decimal(38, s), like any value an expression computes with.
        value = node.value
        digits = len(str(abs(value))) if isinstance(value, int) else len(value.as_tuple().digits)
        places = 0 if isinstance(value, int) else max(0, -int(value.as_tuple().exponent))
        if max(digits, places) > MAX_PRECISION:
            raise self.fail(f"a number has at most {MAX_PRECISION} digits", node)

    def field(self, node: Field) -> ValueType:
        if node.name in self.fields:
            return value_type(self.fields[node.name])
        close = difflib.get_close_matches(node.name, list(self.fields), n=1)
        if close:
            hint = f"; did you mean {close[0]!r}?"
        else:
            hint = f"; known fields: {', '.join(sorted(self.fields))}" if self.fields else ""
        raise self.fail(f"unknown field {node.name!r}{hint}", node)

    def binary(self, node: Binary) -> ValueType:
        left, right = self.check(node.left), self.check(node.right)
        clash = f"cannot apply '{node.op}' to {left.kind} and {right.kind}"
        if node.op in ARITHMETIC:
            if left.kind not in NUMERIC or right.kind not in NUMERIC:
                raise self.fail(clash, node)
            joined = numeric_join([left.kind, right.kind])
            return DECIMAL if node.op == "/" and joined == INTEGER else joined
        if node.op in COMPARISONS:
            comparable = (left.kind in NUMERIC and right.kind in NUMERIC) or left.kind == right.kind
            if not comparable:
                raise self.fail(f"cannot compare {left.kind} with {right.kind}", node)
            if left.kind == "boolean" and node.op not in ("=", "!="):
                raise self.fail(f"booleans are only compared with = and !=, not '{node.op}'", node)
            return BOOLEAN
        if left.kind != "boolean" or right.kind != "boolean":
            raise self.fail(clash + f"; '{node.op}' needs booleans", node)
        return BOOLEAN

    def same(self, node: Call, args: tuple[Node, ...]) -> ValueType:
        """The common type of ``args`` (numbers promote); else an error at the odd one."""
        types = [self.check(arg) for arg in args]
        if all(t.kind in NUMERIC for t in types):
            return numeric_join([t.kind for t in types])
        for arg, found in zip(args[1:], types[1:], strict=True):
            if found.kind != types[0].kind:
                raise self.fail(
                    f"{node.name}() needs arguments of one type, got {types[0].kind} and "
                    f"{found.kind}",
                    arg,
                )
        return types[0]

    def arity(self, node: Call, low: int, high: int | None) -> None:
        count = len(node.args)
        if count < low or (high is not None and count > high):
            raise self.fail(
                f"{node.name}() takes {_count(low, high)}, got {count}; use {FUNCTIONS[node.name]}",
                node,
            )

    def call(self, node: Call) -> ValueType:
        if node.name not in FUNCTIONS:
            raise self.fail(
                f"unknown function {node.name!r}; known: {', '.join(sorted(FUNCTIONS))}", node
            )
        name, args = node.name, node.args
        if name == "if":
            self.arity(node, 3, 3)
            if self.check(args[0]).kind != "boolean":
                raise self.fail("the condition of if() must be a boolean", args[0])
            return self.same(node, args[1:])
        if name == "coalesce":
            self.arity(node, 1, None)
            return self.same(node, args)
        if name in ("min", "max"):
            self.arity(node, 2, None)
            joined = self.same(node, args)
            if joined.kind not in _ORDERED:
                raise self.fail(f"{name}() cannot order {joined.kind} values", node)
            return joined
        if name in ("round", "abs"):
            self.arity(node, 1, 2 if name == "round" else 1)
            value = self.check(args[0])
            if value.kind not in NUMERIC:
                raise self.fail(f"{name}() needs a number, not {value.kind}", args[0])
            if len(args) == 2:
                self.places(args[1])
            return value
        self.arity(node, 1, 1)
        date = self.check(args[0])
        if date.kind not in ("date", "datetime"):
            raise self.fail(f"{name}() needs a date or datetime, not {date.kind}", args[0])
        return STRING if name == "year_month" else INTEGER

    def places(self, node: Node) -> None:
        self.check(node)
        if not (isinstance(node, Number) and isinstance(node.value, int)):
            raise self.fail("round() places must be a whole number written out, like 2", node)
        if node.value > MAX_ROUND_PLACES:
            raise self.fail(f"round() keeps at most {MAX_ROUND_PLACES} places", node)


def _count(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'s' * (low != 1)}"
    if low == high:
        return f"{low} argument{'s' * (low != 1)}"
    return f"{low} to {high} arguments"


def check(
    source: str, tree: Node, fields: Mapping[str, FieldType], scale: int | None = None
) -> Checked:
    """Type-check a parsed expression against the fields it may read.

    Args:
        source: the expression text (for error positions).
        tree: its syntax tree.
        fields: field name -> type.
        scale: the digits a decimal result is rounded to (default 2).

    Raises:
        ExpressionError: an unknown field or function, or a type clash, at its position.
    """
    if scale is not None and not 0 <= scale <= MAX_PRECISION:
        raise ExpressionError(f"scale must be 0 to {MAX_PRECISION}, not {scale}", source, 0)
    checker = _Checker(source, fields)
    found = checker.check(tree)
    if found.kind == "decimal":
        found = ValueType("decimal", DEFAULT_SCALE if scale is None else scale)
    used = {node.name: fields[node.name] for node in walk(tree) if isinstance(node, Field)}
    return Checked(source, tree, checker.types, found, used)
