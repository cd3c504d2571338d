"""The records a processing stage works on: its dependencies' ``Records``, stacked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from actorflow.contracts import DataValidationError, Records, StageOutcome

#: Given a table's columns, the ones the chosen operations read as strings.
StringFields = Callable[[Sequence[str]], Iterable[str]]


@dataclass(slots=True)
class CollectedRecords:
    """The stacked records and where they came from.

    Attributes:
        frame: every dependency's records, in dependency order (missing columns null).
        counts: records per dependency stage.
        warnings: dependencies that failed or had no records, as warning entries.
    """

    frame: pl.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)


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


def _check_types(frame: pl.DataFrame, fields: Iterable[str], *, stage: str, origin: str) -> None:
    for name in fields:
        dtype = frame.schema.get(name)
        if dtype is None or dtype in (pl.String, pl.Null):
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
) -> CollectedRecords:
    """Stack the records of a stage's dependencies.

    Args:
        dependencies: the dependencies' outcomes, by stage name.
        order: the stage's ``depends_on``, the order records are stacked in.
        stage: this stage's name, for messages.
        inputs: the dependencies to take records from (None: every one that has some).
        string_fields: which columns must be strings for the chosen operations.

    Raises:
        DataValidationError: an unknown or record-less input, a column of the wrong type
            (naming the field and the dependency), or no records at all.
    """
    if inputs is not None:
        unknown = [name for name in inputs if name not in order]
        if unknown:
            raise DataValidationError(
                f"stage {stage!r}: params.inputs names {unknown}, which are not among its "
                f"dependencies {list(order)}"
            )
    wanted = list(order) if inputs is None else list(inputs)
    parts: list[Records] = []
    collected = CollectedRecords(pl.DataFrame())
    for name in wanted:
        outcome = dependencies.get(name)
        if outcome is None or outcome.status != "succeeded":
            status = "missing" if outcome is None else outcome.status
            collected.warnings.append(
                {
                    "kind": "dependency",
                    "source": name,
                    "message": f"dependency {name!r} ended {status}; its records are missing",
                    "count": 0,
                }
            )
            continue
        try:
            records = records_of(outcome.output)
        except DataValidationError as exc:
            raise DataValidationError(f"stage {stage!r}, output of {name!r}: {exc}") from None
        if records is None:
            if inputs is not None:
                raise DataValidationError(
                    f"stage {stage!r}: the output of {name!r} (named in params.inputs) holds "
                    "no records"
                )
            continue
        _check_types(records.frame, string_fields(records.columns), stage=stage, origin=name)
        collected.counts[name] = len(records)
        parts.append(records)
    if not parts:
        raise DataValidationError(
            f"stage {stage!r} has no records to process: none of its dependencies "
            f"{wanted} produced Records (an output that is Records or has a 'records' key)"
        )
    collected.frame = Records.concat(parts).frame if len(parts) > 1 else parts[0].frame
    return collected
