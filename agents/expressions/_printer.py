"""Print a syntax tree back to text, with only the parentheses the grammar needs."""

from __future__ import annotations

from decimal import Decimal

from ._lexer import KEYWORDS
from ._nodes import COMPARISONS, Binary, Boolean, Field, Node, Number, String, Unary
from ._parser import COMPARISON_POWER, INFIX_POWER, NEGATE_POWER, NOT_POWER

_ATOM_POWER = 9


def _power(node: Node) -> int:
    if isinstance(node, Binary):
        return INFIX_POWER[node.op]
    if isinstance(node, Unary):
        return NEGATE_POWER if node.op == "-" else NOT_POWER
    return _ATOM_POWER


def _wrap(node: Node, needs: bool) -> str:
    text = to_source(node)
    return f"({text})" if needs else text


def _field_name(name: str) -> str:
    plain = (
        bool(name)
        and (name[0] == "_" or name[0].isalpha())
        and all(ch == "_" or ch.isalnum() for ch in name)
        and name.lower() not in KEYWORDS
    )
    return name if plain else "`" + name.replace("`", "``") + "`"


def _number(value: int | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def to_source(node: Node) -> str:  # noqa: PLR0911 - one branch per node type
    """The text of an expression tree; ``parse(to_source(tree)) == tree``."""
    if isinstance(node, Number):
        return _number(node.value)
    if isinstance(node, String):
        return "'" + node.value.replace("'", "''") + "'"
    if isinstance(node, Boolean):
        return "true" if node.value else "false"
    if isinstance(node, Field):
        return _field_name(node.name)
    if isinstance(node, Unary):
        own = _power(node)
        operand = _wrap(node.operand, _power(node.operand) < own)
        return f"-{operand}" if node.op == "-" else f"not {operand}"
    if isinstance(node, Binary):
        own = INFIX_POWER[node.op]
        # Comparisons do not chain, so a comparison operand is always parenthesised.
        left_needs = _power(node.left) <= own if node.op in COMPARISONS else _power(node.left) < own
        right_needs = _power(node.right) <= own
        assert own != COMPARISON_POWER or node.op in COMPARISONS
        return f"{_wrap(node.left, left_needs)} {node.op} {_wrap(node.right, right_needs)}"
    return f"{node.name}({', '.join(to_source(arg) for arg in node.args)})"
