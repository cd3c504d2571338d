"""Running the chosen operations on one table, with the rules library.

Whenever cleaning runs, the work is one call of ``run_pipeline`` (one fused, vectorized
query) with the steps that were not chosen switched off through its configuration: no
name or currency roles without normalization, an impressions role pointing at no column
without calculations, no limits without filtering. So a partial run is the spec's
pipeline minus whole steps, never a second implementation of it. Normalization alone
and basic validation reject nothing for bad money, so they do not clean it: they use the
library's expressions directly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import polars as pl

from actorflow.agents.rules import (
    SLICE_ROWS,
    FieldRoles,
    PipelineStats,
    Rule,
    ValidationRules,
    duplicate_flags,
    missing_required_expr,
    normalize_currency_expr,
    normalize_name_expr,
    required_reason_expr,
    run_pipeline,
)
from actorflow.contracts import DataValidationError, Records, RecordsWriter

from ._operations import RULE_OPERATION, OperationPlan

# An impressions role no input has: the pipeline then parses nothing and computes no rpm,
# and the real impressions column passes through as an ordinary column.
_NO_IMPRESSIONS = "__processor_impressions_off"
_NO_LIMITS = ValidationRules(min_revenue=None, max_revenue=None, required_fields=())
_CALCULATED = ("rpm", "month_year")


#: What the operations ran on and give back: a frame, or (a stage's output) ``Records``.
Table = TypeVar("Table", pl.DataFrame, Records)


@dataclass(frozen=True, slots=True)
class Processed(Generic[Table]):
    """The result of the operations on one table.

    Attributes:
        records: the records kept, in input order.
        rejects: the original values of the records rejected, plus ``rule`` and ``reason``.
        stats: counts; ``rejected`` and ``warnings`` hold only the chosen steps' entries.
        rules: the user rules that ran, in order.
    """

    records: Table
    rejects: Table
    stats: PipelineStats
    rules: tuple[Rule, ...]


def process_records(
    records: Records,
    plan: OperationPlan,
    *,
    roles: FieldRoles,
    validation: ValidationRules,
    rules: Sequence[Rule],
    stage: str,
    slice_rows: int = SLICE_ROWS,
    progress: Callable[[int], None] | None = None,
) -> Processed[Records]:
    """Run the plan's operations on ``records``.

    Records on disk are read, processed and written back a slice of ``slice_rows`` at a
    time (after one pass over their id and money columns finds the duplicates), so the
    memory used is a slice's, not the table's; the output is on disk too. ``progress``
    is called with the rows done after each slice, and may raise to stop.

    Raises:
        DataValidationError: as :func:`process_frame`.
    """
    run = functools.partial(
        process_frame,
        plan=plan,
        roles=roles,
        validation=validation,
        rules=rules,
        stage=stage,
        slice_rows=slice_rows,
    )
    if not records.on_disk:
        done = run(records.frame)
        return Processed(Records(done.records), Records(done.rejects), done.stats, done.rules)
    duplicates = None
    if "cleaning" in plan:
        applied = _applied(plan, rules)
        with _as_data_error(stage):
            duplicates = duplicate_flags(records.lazy(), roles=roles, rules=applied)
    parts: list[PipelineStats] = []
    ran: tuple[Rule, ...] = ()
    offset = 0
    # The output goes beside the input (wherever its stage chose to spill).
    beside = records.location.parent if records.location is not None else None
    with RecordsWriter(beside) as kept, RecordsWriter(beside) as rejected:
        for piece in records.slices(slice_rows):
            flags = None if duplicates is None else duplicates.slice(offset, piece.height)
            done = run(piece, duplicates=flags)
            kept.write(done.records)
            rejected.write(done.rejects)
            parts.append(done.stats)
            ran = done.rules
            offset += piece.height
            del piece, done
            if progress is not None:
                progress(offset)
        return Processed(kept.finish(), rejected.finish(), PipelineStats.combine(parts), ran)


def string_fields(plan: OperationPlan, roles: FieldRoles, columns: Sequence[str]) -> list[str]:
    """The columns the chosen operations read as text."""
    wanted: list[str] = []
    if "cleaning" in plan:
        wanted += [*roles.money_fields(columns), *roles.date_fields(columns), roles.id]
    if "normalization" in plan:
        wanted += [*roles.name_fields(columns), *roles.currency_fields(columns)]
    if "calculations" in plan:
        wanted.append(roles.impressions)
    return [c for c in dict.fromkeys(wanted) if c in columns]


def process_frame(
    frame: pl.DataFrame,
    plan: OperationPlan,
    *,
    roles: FieldRoles,
    validation: ValidationRules,
    rules: Sequence[Rule],
    stage: str,
    slice_rows: int = SLICE_ROWS,
    duplicates: pl.Series | None = None,
) -> Processed[pl.DataFrame]:
    """Run the plan's operations on ``frame`` (every rule column a string).

    ``duplicates``: when ``frame`` is a slice of a longer table, its rows' duplicate
    flags over the whole table (see :func:`process_records`).

    Raises:
        DataValidationError: a missing money column, a rule column of the wrong type, or
            a reserved column name, each naming the field.
    """
    applied = _applied(plan, rules)
    with _as_data_error(stage):
        if "cleaning" in plan:
            return _pipeline(
                frame,
                plan,
                roles=roles,
                validation=validation,
                rules=applied,
                stage=stage,
                slice_rows=slice_rows,
                duplicates=duplicates,
            )
        if "normalization" in plan:
            return _normalize_only(frame, roles, applied)
        return _basic_validation(frame, validation)


def _applied(plan: OperationPlan, rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """The user rules of the operations that run."""
    return tuple(r for r in rules if RULE_OPERATION[r.kind] in plan)


@contextlib.contextmanager
def _as_data_error(stage: str) -> Iterator[None]:
    """A bad table (a wrong column type, a reserved name) as the stage's data error."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DataValidationError):
            raise
        raise DataValidationError(f"stage {stage!r}: {exc}") from None


def _pipeline(
    frame: pl.DataFrame,
    plan: OperationPlan,
    *,
    roles: FieldRoles,
    validation: ValidationRules,
    rules: tuple[Rule, ...],
    stage: str,
    slice_rows: int,
    duplicates: pl.Series | None,
) -> Processed[pl.DataFrame]:
    missing = [f for f in roles.money if f not in frame.columns]
    if missing and frame.height:
        raise DataValidationError(
            f"stage {stage!r}: money field {missing[0]!r} is missing from the records "
            f"(columns: {list(frame.columns)}); name the money columns with params.roles.money"
        )
    used = roles
    if "normalization" not in plan:
        used = dataclasses.replace(used, names=(), currency=())
    if "calculations" not in plan:
        used = dataclasses.replace(used, impressions=_NO_IMPRESSIONS)
    limits = validation if "filtering" in plan else _NO_LIMITS
    records, rejects, stats = run_pipeline(
        frame,
        roles=used,
        validation=limits,
        rules=rules,
        slice_rows=slice_rows,
        duplicates=duplicates,
    )
    if "calculations" not in plan:
        dropped = [_NO_IMPRESSIONS, *(c for c in _CALCULATED if c not in frame.columns)]
        records = records.drop(dropped, strict=False)
        # The impressions column is an ordinary one now; put it back where it belongs.
        spec = [c for c in _columns_in_spec_order(frame.columns, roles) if c in records.columns]
        records = records.select(*spec, *(c for c in records.columns if c not in spec))
    kept_rules = {"money", "duplicate"} | (
        {"required", "range", *(r.name for r in rules if r.kind == "filter")}
        if "filtering" in plan
        else set()
    )
    stats = PipelineStats(
        input_count=stats.input_count,
        output_count=stats.output_count,
        rejected={k: v for k, v in stats.rejected.items() if k in kept_rules},
        warnings={k: v for k, v in stats.warnings.items() if _NO_IMPRESSIONS not in k},
        clean_count=stats.clean_count,
    )
    return Processed(records, rejects, stats, rules)


def _columns_in_spec_order(columns: Sequence[str], roles: FieldRoles) -> list[str]:
    spec = [roles.id, "podcast_name", roles.revenue, roles.impressions, "rpm", roles.date]
    return list(dict.fromkeys([*spec, "month_year", "currency", "source", *columns]))


def _empty_rejects(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.clear().with_columns(
        pl.lit(None, pl.String).alias("rule"), pl.lit(None, pl.String).alias("reason")
    )


def _normalize_only(
    frame: pl.DataFrame, roles: FieldRoles, rules: tuple[Rule, ...]
) -> Processed[pl.DataFrame]:
    columns = frame.columns
    lf = frame.lazy().with_columns(
        *(normalize_name_expr(pl.col(f)).alias(f) for f in roles.name_fields(columns)),
        *(normalize_currency_expr(pl.col(f)).alias(f) for f in roles.currency_fields(columns)),
    )
    visible = list(columns)
    for rule in rules:
        assert rule.field is not None  # only transforms run here, and they have a field
        if rule.field not in visible:
            lf = lf.with_columns(pl.lit(None, pl.String).alias(rule.field))
            visible.append(rule.field)
        lf = lf.with_columns(rule.to_expr(visible).alias(rule.field))
    records = lf.collect()
    n = records.height
    stats = PipelineStats(input_count=n, output_count=n, rejected={}, warnings={}, clean_count=n)
    return Processed(records, _empty_rejects(frame), stats, rules)


def _basic_validation(frame: pl.DataFrame, validation: ValidationRules) -> Processed[pl.DataFrame]:
    required = validation.required_fields
    flag, reason = "__processor_missing", "__processor_reason"
    done = frame.with_columns(
        missing_required_expr(required, frame.schema).alias(flag),
        required_reason_expr(required, frame.schema).alias(reason),
    )
    records = done.filter(~pl.col(flag)).drop(flag, reason)
    rejects = done.filter(pl.col(flag)).select(
        *frame.columns, pl.lit("required").alias("rule"), pl.col(reason).alias("reason")
    )
    stats = PipelineStats(
        input_count=frame.height,
        output_count=records.height,
        rejected={"required": rejects.height},
        warnings={},
        clean_count=records.height,
    )
    return Processed(records, rejects, stats, ())
