"""The records a processing stage works on: its dependencies' ``Records``, stacked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from actorflow.actors.dependencies import (
    check_inputs,
    dependency_records,
    missing_dependency,
    records_of,
    succeeded,
)
from actorflow.contracts import DataValidationError, Records, StageOutcome

__all__ = ["CollectedRecords", "StringFields", "collect_records", "records_of"]

#: Given a table's columns, the ones the chosen operations read as strings.
StringFields = Callable[[Sequence[str]], Iterable[str]]


@dataclass(slots=True)
class CollectedRecords:
    """The stacked records and where they came from.

    Attributes:
        records: every dependency's records, in dependency order (missing columns null);
            on disk if any of them is.
        counts: records per dependency stage.
        warnings: dependencies that failed or had no records, as warning entries.
    """

    records: Records
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _check_types(
    schema: Mapping[str, pl.DataType],
    fields: Iterable[str],
    *,
    stage: str,
    origin: str,
    only_floats: bool = False,
) -> None:
    for name in fields:
        dtype = schema.get(name)
        if dtype is None or dtype in (pl.String, pl.Null):
            continue
        if only_floats and not dtype.is_float():
            continue
        hint = "money is never a float; " if dtype.is_float() else ""
        raise DataValidationError(
            f"stage {stage!r}: field {name!r} in the records of {origin!r} is {dtype}, but "
            f"the processor reads it as text ({hint}read CSV with infer_schema=False and "
            "JSON values with str(), as the extractor does)"
        )


def collect_records(
    dependencies: Mapping[str, StageOutcome],
    order: Sequence[str],
    *,
    stage: str,
    inputs: Sequence[str] | None,
    string_fields: StringFields,
    float_fields: StringFields | None = None,
) -> CollectedRecords:
    """Stack the records of a stage's dependencies.

    Args:
        dependencies: the dependencies' outcomes, by stage name.
        order: the stage's ``depends_on``, the order records are stacked in.
        stage: this stage's name, for messages.
        inputs: the dependencies to take records from (None: every one that has some).
        string_fields: which columns must be strings for the chosen operations.
        float_fields: which columns must not be floats (money is never a float); other
            types there are read as text by the caller.

    Raises:
        DataValidationError: an unknown or record-less input, a column of the wrong type
            (naming the field and the dependency), or no records at all.
    """
    check_inputs(inputs, order, stage=stage)
    wanted = list(order) if inputs is None else list(inputs)
    parts: list[Records] = []
    collected = CollectedRecords(Records())
    for name in wanted:
        outcome = dependencies.get(name)
        if not succeeded(outcome):
            collected.warnings.append({**missing_dependency(name, outcome), "count": 0})
            continue
        records = dependency_records(name, outcome.output, stage=stage)
        if records is None:
            if inputs is not None:
                raise DataValidationError(
                    f"stage {stage!r}: the output of {name!r} (named in params.inputs) holds "
                    "no records"
                )
            continue
        _check_types(records.schema, string_fields(records.columns), stage=stage, origin=name)
        if float_fields is not None:
            _check_types(
                records.schema,
                float_fields(records.columns),
                stage=stage,
                origin=name,
                only_floats=True,
            )
        collected.counts[name] = len(records)
        parts.append(records)
    if not parts:
        raise DataValidationError(
            f"stage {stage!r} has no records to process: none of its dependencies "
            f"{wanted} produced Records (an output that is Records or has a 'records' key)"
        )
    collected.records = Records.concat(parts)
    return collected
