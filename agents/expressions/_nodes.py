"""The syntax tree: frozen nodes, each remembering where it starts in the text.

Positions do not take part in equality, so a tree printed and parsed again equals the
original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias

BinaryOp = Literal["+", "-", "*", "/", "=", "!=", "<", "<=", ">", ">=", "and", "or"]
UnaryOp = Literal["-", "not"]

ARITHMETIC: frozenset[str] = frozenset({"+", "-", "*", "/"})
COMPARISONS: frozenset[str] = frozenset({"=", "!=", "<", "<=", ">", ">="})
LOGICAL: frozenset[str] = frozenset({"and", "or"})


@dataclass(frozen=True, slots=True)
class Number:
    """A number literal: ``int`` for ``12``, exact ``Decimal`` for ``0.01``."""

    value: int | Decimal
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class String:
    """A string literal."""

    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` or ``false``."""

    value: bool
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Field:
    """A reference to a field (a column) by name."""

    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x`` or ``not x``."""

    op: UnaryOp
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """An arithmetic, comparison or logical operation; ``==`` is parsed as ``=``."""

    op: BinaryOp
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A function call; the name is stored lower-case."""

    name: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node: TypeAlias = Number | String | Boolean | Field | Unary | Binary | Call


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of ``node``."""
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children."""
    found = [node]
    for child in children(node):
        found.extend(walk(child))
    return found
