"""Field types (what a column holds) and value types (what an expression yields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from actorflow.contracts import FieldType as ContractFieldType

#: The kinds a data contract gives its fields (the contract's own vocabulary).
FieldKind: TypeAlias = ContractFieldType
#: The kinds an expression computes with; ``number`` is a float.
ValueKind: TypeAlias = Literal[
    "integer", "decimal", "number", "string", "boolean", "date", "datetime"
]

FIELD_KINDS: frozenset[str] = frozenset(FieldKind.__args__)  # type: ignore[attr-defined]
NUMERIC: frozenset[str] = frozenset({"integer", "decimal", "number"})
#: Scale of a decimal or money field that does not state one, and of a calculation's result.
DEFAULT_SCALE = 2
#: polars' Decimal holds 38 digits.
MAX_PRECISION = 38


@dataclass(frozen=True, slots=True)
class FieldType:
    """The type of one input field, as a data contract declares it.

    Attributes:
        kind: one of :data:`FieldKind`.
        scale: digits after the point, for ``decimal`` and ``money`` only.
    """

    kind: FieldKind
    scale: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in FIELD_KINDS:
            raise ValueError(
                f"unknown field kind {self.kind!r}; expected one of {sorted(FIELD_KINDS)}"
            )
        if self.scale is not None and (
            self.kind not in ("decimal", "money") or not 0 <= self.scale <= MAX_PRECISION
        ):
            raise ValueError(f"scale {self.scale!r} is only for decimal and money, 0 to 38")


@dataclass(frozen=True, slots=True)
class ValueType:
    """The type of an expression's value.

    Attributes:
        kind: one of :data:`ValueKind`.
        scale: for a decimal *result*, the digits it is rounded to; None inside an
            expression, where decimal arithmetic is exact.
    """

    kind: ValueKind
    scale: int | None = None

    def __str__(self) -> str:
        return self.kind if self.scale is None else f"{self.kind}({self.scale})"


INTEGER = ValueType("integer")
DECIMAL = ValueType("decimal")
NUMBER = ValueType("number")
STRING = ValueType("string")
BOOLEAN = ValueType("boolean")
DATE = ValueType("date")
DATETIME = ValueType("datetime")

_VALUE_OF_FIELD: Mapping[str, ValueType] = {
    "string": STRING,
    "category": STRING,
    "id": STRING,
    "integer": INTEGER,
    "decimal": DECIMAL,
    "money": DECIMAL,
    "number": NUMBER,
    "date": DATE,
    "datetime": DATETIME,
    "boolean": BOOLEAN,
}


def value_type(field: FieldType) -> ValueType:
    """What a field is to an expression: money is a decimal, a category or id a string."""
    return _VALUE_OF_FIELD[field.kind]


def field_scale(field: FieldType) -> int:
    """The scale of a decimal or money field's column."""
    return DEFAULT_SCALE if field.scale is None else field.scale


def field_type_of(result: ValueType) -> FieldType:
    """The field type of a calculated field, so later calculations can use it."""
    if result.kind == "decimal":
        return FieldType("decimal", result.scale)
    return FieldType(result.kind)
