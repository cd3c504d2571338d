"""One-call entry points: text in, checked expression, type or field names out."""

from __future__ import annotations

from collections.abc import Mapping

from ._checker import Checked, check
from ._nodes import Field, Node, walk
from ._parser import parse
from ._types import FieldType, ValueType


def check_expression(
    source: str, fields: Mapping[str, FieldType], scale: int | None = None
) -> Checked:
    """Parse and type-check an expression, before any data is touched.

    Args:
        source: the expression text.
        fields: the fields it may read, name -> type.
        scale: digits of a decimal result (default 2), rounded half-even.

    Returns:
        The checked expression, for :func:`scalar_evaluator` and :func:`compile_expression`.

    Raises:
        ExpressionError: a syntax error, unknown name or type clash, with its column.
    """
    return check(source, parse(source), fields, scale)


def result_type(
    source: str, fields: Mapping[str, FieldType], scale: int | None = None
) -> ValueType:
    """The type of an expression's value (a decimal carries its result scale).

    Raises:
        ExpressionError: as :func:`check_expression`.
    """
    return check_expression(source, fields, scale).result


def referenced_fields(expression: str | Node) -> set[str]:
    """The names of the fields an expression reads.

    Args:
        expression: the text or a parsed tree.

    Raises:
        ExpressionError: the text does not parse.
    """
    tree = parse(expression) if isinstance(expression, str) else expression
    return {node.name for node in walk(tree) if isinstance(node, Field)}
