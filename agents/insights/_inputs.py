"""What an insights stage reads: its dependencies' records and processing stats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from actorflow.actors.dependencies import (
    check_inputs,
    dependency_records,
    missing_dependency,
    succeeded,
)
from actorflow.agents.rules import MONEY_DTYPE, clean_money_expr
from actorflow.contracts import DataValidationError, Records, StageOutcome, thaw

from ._compute import Table


@dataclass(slots=True)
class InsightsInput:
    """The records to summarise and what the processing stages said about them.

    Attributes:
        records: every dependency's records, stacked in dependency order (on disk if
            any of them is).
        stats: the ``stats`` of each dependency output that has them, by stage.
        warnings: dependencies that failed or had no records.
        processing: of each summarised dependency whose output carries a ``contract``
            (the contract-driven processing), its ``contract``, ``calculations``,
            ``quality_metrics``, ``field_quality``, ``findings`` and ``contract_source``
            as plain data, by stage. Empty for the revenue pipeline's output.
    """

    records: Records
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    processing: dict[str, dict[str, Any]] = field(default_factory=dict)


#: What the generic insights read from a contract-driven processing output.
PROCESSING_KEYS = (
    "contract",
    "contract_source",
    "calculations",
    "quality_metrics",
    "field_quality",
    "findings",
)


def collect_input(
    dependencies: Mapping[str, StageOutcome],
    order: Sequence[str],
    *,
    stage: str,
    inputs: Sequence[str] | None = None,
) -> InsightsInput:
    """Stack the records of the dependencies that succeeded and gather their stats.

    Args:
        dependencies: the dependencies' outcomes, by stage name.
        order: the stage's ``depends_on``.
        stage: this stage's name, for messages.
        inputs: the dependencies whose records to summarise. By default those whose
            output carries processing ``stats`` if any does (so a stage depending on both
            the extraction and the processing does not count every record twice), else
            every one with records. An output with a ``contract`` counts as processed too.

    Raises:
        DataValidationError: an unknown name in ``inputs``, or no records at all.
    """
    check_inputs(inputs, order, stage=stage)
    found: dict[str, Records] = {}
    collected = InsightsInput(Records())
    for name in order:
        outcome = dependencies.get(name)
        if not succeeded(outcome):
            collected.warnings.append(missing_dependency(name, outcome))
            continue
        output = outcome.output
        records = dependency_records(name, output, stage=stage)
        if records is not None:
            found[name] = records
        if isinstance(output, Mapping) and isinstance(output.get("stats"), Mapping):
            collected.stats[name] = thaw(output["stats"])
        if isinstance(output, Mapping) and isinstance(output.get("contract"), Mapping):
            collected.processing[name] = {
                key: thaw(output[key]) for key in PROCESSING_KEYS if key in output
            }
    processed = {*collected.stats, *collected.processing}
    if inputs is not None:
        chosen = [n for n in inputs if n in found]
    elif any(n in processed for n in found):
        chosen = [n for n in found if n in processed]
    else:
        chosen = list(found)
    collected.stats = {n: s for n, s in collected.stats.items() if n in chosen}
    collected.processing = {n: p for n, p in collected.processing.items() if n in chosen}
    if not chosen:
        raise DataValidationError(
            f"stage {stage!r} has no records to summarise: none of its dependencies "
            f"{list(inputs if inputs is not None else order)} produced Records (an output "
            "that is Records or has a 'records' key)"
        )
    collected.records = Records.concat([found[n] for n in chosen])
    return collected


def money_column(table: Table, name: str, *, stage: str) -> tuple[Table, int]:
    """Make ``name`` an exact ``Decimal(38, 2)`` column.

    Decimals and integers are taken as they are; text (records that were not processed)
    is cleaned like the processor's money rule, and the values that do not parse are
    left out of the sums and counted.

    Returns:
        The table and how many non-null values could not be read as money.

    Raises:
        DataValidationError: the column is missing, or is a float or another type.
    """
    dtype = table.schema.get(name)
    column = pl.col(name)
    if dtype is None:
        if table.collect(table.query.select(pl.len())).item() == 0:
            return table.change(table.query.with_columns(pl.lit(None, MONEY_DTYPE).alias(name))), 0
        raise DataValidationError(
            f"stage {stage!r}: the records have no money field {name!r} "
            f"(columns: {table.columns}); set params.value_field"
        )
    if dtype == MONEY_DTYPE:
        return table, 0  # processed records: nothing to convert (a cast would copy)
    if isinstance(dtype, pl.Decimal) or dtype.is_integer() or dtype == pl.Null:
        return table.change(table.query.with_columns(column.cast(MONEY_DTYPE))), 0
    if dtype == pl.String:
        cleaned = clean_money_expr(column)
        counts = table.query.select(column.null_count(), cleaned.null_count().alias("after"))
        unread, after = table.collect(counts).row(0)
        return table.change(table.query.with_columns(cleaned.alias(name))), after - unread
    raise DataValidationError(
        f"stage {stage!r}: money field {name!r} is {dtype}; it must be a Decimal, an integer "
        "or text (money is never a float: process the records first)"
    )
