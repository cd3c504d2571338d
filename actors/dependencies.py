"""Reading the records a stage's dependencies produced: for agents that stack them (the
built-in processing and insights agents, and any of yours)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

import polars as pl

from actorflow.contracts import DataValidationError, Records, StageOutcome

__all__ = [
    "check_inputs",
    "dependency_records",
    "missing_dependency",
    "records_of",
    "succeeded",
]


def records_of(output: Any) -> Records | None:
    """The records in a stage output: ``Records`` itself, or under a ``records`` key.

    A ``records`` value that is a list of objects is turned into ``Records`` as it is
    (values keep their types, so numbers stay numbers and are refused later by type).

    Raises:
        DataValidationError: a ``records`` value that is neither.
    """
    if isinstance(output, Records):
        return output
    if not isinstance(output, Mapping) or "records" not in output:
        return None
    value = output["records"]
    if isinstance(value, Records):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        if not all(isinstance(row, Mapping) for row in value):
            raise DataValidationError("'records' must be Records or a list of objects")
        try:
            return Records.from_dicts(value)
        except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
            raise DataValidationError(f"'records' cannot be made a table: {exc}") from None
    raise DataValidationError(
        f"'records' must be Records or a list of objects, got {type(value).__name__}"
    )


def check_inputs(inputs: Sequence[str] | None, order: Sequence[str], *, stage: str) -> None:
    """``params.inputs`` may only name the stage's dependencies.

    Raises:
        DataValidationError: naming the unknown ones and the dependencies.
    """
    if inputs is not None and (unknown := [n for n in inputs if n not in order]):
        raise DataValidationError(
            f"stage {stage!r}: params.inputs names {unknown}, which are not among its "
            f"dependencies {list(order)}"
        )


def succeeded(outcome: StageOutcome | None) -> TypeGuard[StageOutcome]:
    """Whether a dependency's outcome is there and a success."""
    return outcome is not None and outcome.status == "succeeded"


def missing_dependency(name: str, outcome: StageOutcome | None) -> dict[str, Any]:
    """The warning entry of a dependency that did not succeed."""
    status = "missing" if outcome is None else outcome.status
    return {
        "kind": "dependency",
        "source": name,
        "message": f"dependency {name!r} ended {status}; its records are missing",
    }


def dependency_records(name: str, output: Any, *, stage: str) -> Records | None:
    """:func:`records_of` a dependency's output, its errors naming stage and dependency.

    Raises:
        DataValidationError: the output's ``records`` cannot be read.
    """
    try:
        return records_of(output)
    except DataValidationError as exc:
        raise DataValidationError(f"stage {stage!r}, output of {name!r}: {exc}") from None
