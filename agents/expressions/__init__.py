"""A small, safe expression language for derived fields: ``ctr = "clicks / impressions"``.

Text is tokenized and parsed (a Pratt parser; never Python's ``eval``), type-checked
against the field types before any run, then either evaluated row by row (the scalar
evaluator, which is the specification) or compiled to one vectorised polars expression
that gives the same values. Decimal arithmetic is exact and rounded once, half-even, to
the calculation's scale; division by zero gives null and is counted. The grammar and
the typing rules are in ``docs/expressions.md``.
"""

from ._api import check_expression, referenced_fields, result_type
from ._calculations import (
    Calculation,
    CalculationCounts,
    CheckedCalculation,
    apply_calculations,
    calculate_row,
    calculation_problems,
    check_calculations,
    parse_calculations,
)
from ._checker import FUNCTIONS, Checked
from ._compile import CompiledExpression, compile_expression
from ._errors import ExpressionError
from ._nodes import Binary, Boolean, Call, Field, Node, Number, String, Unary
from ._parser import parse
from ._printer import to_source
from ._scalar import Outcome, scalar_evaluator
from ._types import FieldType, ValueType

__all__ = [
    "FUNCTIONS",
    "Binary",
    "Boolean",
    "Calculation",
    "CalculationCounts",
    "Call",
    "Checked",
    "CheckedCalculation",
    "CompiledExpression",
    "ExpressionError",
    "Field",
    "FieldType",
    "Node",
    "Number",
    "Outcome",
    "String",
    "Unary",
    "ValueType",
    "apply_calculations",
    "calculate_row",
    "calculation_problems",
    "check_calculations",
    "check_expression",
    "compile_expression",
    "parse",
    "parse_calculations",
    "referenced_fields",
    "result_type",
    "scalar_evaluator",
    "to_source",
]
