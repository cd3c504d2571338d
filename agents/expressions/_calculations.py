"""Declared calculations: ``name = "expression"`` or ``name = {expr = "...", scale = 2}``.

A workflow's derived fields are read here, checked against the input field types before
any run (each calculation may use the ones declared before it), and applied to a frame
(vectorised) or to a row (scalar), counting the nulls that divisions by zero produced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from actorflow.contracts import Problem, WorkflowValidationError

from ._api import check_expression
from ._checker import Checked
from ._compile import DIVIDED_BY_ZERO, OVERFLOWED, VALUE, compile_expression
from ._errors import ExpressionError
from ._scalar import scalar_evaluator
from ._types import MAX_PRECISION, FieldType, field_type_of

_KEYS = frozenset({"expr", "scale"})
# A column name no field can have (NUL), for the outcome struct while it is unpacked.
_OUTCOME = "\0outcome"


@dataclass(frozen=True, slots=True)
class Calculation:
    """One declared derived field.

    Attributes:
        name: the field it produces.
        expression: its expression text.
        scale: digits of a decimal result, rounded half-even (None: the default, 2).
    """

    name: str
    expression: str
    scale: int | None = None


@dataclass(frozen=True, slots=True)
class CheckedCalculation:
    """A calculation that type-checked against its inputs.

    Attributes:
        name: the field it produces.
        checked: its checked expression (``checked.result`` is the field's type).
    """

    name: str
    checked: Checked


@dataclass(frozen=True, slots=True)
class CalculationCounts:
    """How many rows of one calculation came out null for a reason worth a warning.

    Attributes:
        divided_by_zero: rows where a division by zero was evaluated.
        overflowed: rows whose result did not fit its column type.
    """

    divided_by_zero: int = 0
    overflowed: int = 0


def _where(path: str, name: str) -> str:
    return f"{path}.{name}"


def parse_calculations(
    stage: str, declared: object, path: str = "params.calculations"
) -> tuple[Calculation, ...]:
    """Read the calculations of a stage's params, in declaration order.

    Args:
        stage: the stage name, for errors.
        declared: a mapping of field name to an expression string, or to a table with
            ``expr`` and an optional ``scale`` (0 to 38).
        path: where the mapping sits in the params, for errors.

    Raises:
        WorkflowValidationError: one problem per malformed entry, naming its field.
    """
    if not isinstance(declared, Mapping):
        message = (
            f"calculations must be a table of name = expression, not {type(declared).__name__}"
        )
        raise WorkflowValidationError([Problem(message=message, stage=stage, field=path)])
    found: list[Calculation] = []
    problems: list[Problem] = []
    for name, entry in declared.items():
        where = _where(path, str(name))
        if not isinstance(name, str) or not name:
            problems.append(
                Problem(message="a calculation needs a non-empty name", stage=stage, field=where)
            )
            continue
        try:
            found.append(_calculation(name, entry))
        except ValueError as error:
            problems.append(Problem(message=str(error), stage=stage, field=where))
    if problems:
        raise WorkflowValidationError(problems)
    return tuple(found)


def _calculation(name: str, entry: object) -> Calculation:
    if isinstance(entry, str):
        return Calculation(name, entry)
    if not isinstance(entry, Mapping):
        raise ValueError(
            "expected an expression string or {expr = ..., scale = ...}, "
            f"not {type(entry).__name__}"
        )
    unknown = sorted(str(key) for key in entry if key not in _KEYS)
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; expected expr and scale")
    expression, scale = entry.get("expr"), entry.get("scale")
    if not isinstance(expression, str):
        raise ValueError('expr must be the expression text, e.g. expr = "clicks / impressions"')
    if scale is not None and (
        isinstance(scale, bool) or not isinstance(scale, int) or not 0 <= scale <= MAX_PRECISION
    ):
        raise ValueError(f"scale must be a whole number from 0 to {MAX_PRECISION}, not {scale!r}")
    return Calculation(name, expression, scale)


def calculation_problems(
    stage: str,
    calculations: Sequence[Calculation],
    fields: Mapping[str, FieldType],
    path: str = "params.calculations",
) -> tuple[tuple[CheckedCalculation, ...], list[Problem]]:
    """Type-check calculations in order; each may read the fields declared before it.

    Args:
        stage: the stage name, for problems.
        calculations: as :func:`parse_calculations` returns them.
        fields: the input fields, name -> type.
        path: where the calculations sit in the params.

    Returns:
        The calculations that checked, and one problem per one that did not (naming the
        calculation, the expression and the position).
    """
    known = dict(fields)
    checked: list[CheckedCalculation] = []
    problems: list[Problem] = []
    for calculation in calculations:
        try:
            result = check_expression(calculation.expression, known, calculation.scale)
        except ExpressionError as error:
            message = f"{calculation.name} = {calculation.expression!r}: {error}"
            problems.append(
                Problem(message=message, stage=stage, field=_where(path, calculation.name))
            )
            continue
        checked.append(CheckedCalculation(calculation.name, result))
        known[calculation.name] = field_type_of(result.result)
    return tuple(checked), problems


def check_calculations(
    stage: str,
    calculations: Sequence[Calculation],
    fields: Mapping[str, FieldType],
    path: str = "params.calculations",
) -> tuple[CheckedCalculation, ...]:
    """:func:`calculation_problems`, raising them all at once.

    Raises:
        WorkflowValidationError: any calculation did not check.
    """
    checked, problems = calculation_problems(stage, calculations, fields, path)
    if problems:
        raise WorkflowValidationError(problems)
    return checked


def apply_calculations(
    frame: pl.DataFrame, calculations: Sequence[CheckedCalculation]
) -> tuple[pl.DataFrame, dict[str, CalculationCounts]]:
    """Add each calculated column to ``frame``, vectorised, in order.

    Args:
        frame: holds the input fields, of their declared types.
        calculations: as :func:`check_calculations` returns them.

    Returns:
        The frame with the new columns, and per calculation the rows to warn about.
    """
    counts: dict[str, CalculationCounts] = {}
    for calculation in calculations:
        compiled = compile_expression(calculation.checked)
        # with_columns, not select: a constant expression must broadcast to every row.
        # Lazy, for common-subexpression elimination: the exact arithmetic reuses its
        # operands, and eager evaluation recomputes them (rpm on 1M rows: 3.2 s vs 0.33 s).
        column = frame.lazy().with_columns(compiled.outcome.alias(_OUTCOME)).collect()[_OUTCOME]
        outcome = column.struct.unnest()
        frame = frame.with_columns(outcome.get_column(VALUE).alias(calculation.name))
        counts[calculation.name] = CalculationCounts(
            int(outcome.get_column(DIVIDED_BY_ZERO).sum()),
            int(outcome.get_column(OVERFLOWED).sum()),
        )
    return frame, counts


def calculate_row(
    row: Mapping[str, Any], calculations: Sequence[CheckedCalculation]
) -> tuple[dict[str, Any], dict[str, CalculationCounts]]:
    """The scalar twin of :func:`apply_calculations`, for one row.

    Returns:
        The row with the calculated fields, and per calculation its counts (0 or 1).
    """
    values = dict(row)
    counts: dict[str, CalculationCounts] = {}
    for calculation in calculations:
        outcome = scalar_evaluator(calculation.checked)(values)
        values[calculation.name] = outcome.value
        counts[calculation.name] = CalculationCounts(
            int(outcome.divided_by_zero), int(outcome.overflowed)
        )
    return values, counts
