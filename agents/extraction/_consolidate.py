"""Consolidating the sources' records into one ``Records``, and validating the result.

An empty result fails the stage (``DataValidationError``), every source failing fails it
too (``SourceError``); missing required fields and inconsistent field sets are warnings
with counts, because the processor decides what a gap means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import polars as pl

from actorflow.contracts import DataValidationError, Records, SourceError, listing, query_engine

from ._result import SourceData
from ._sources import NamedSource

#: What a source's records come as: a frame, or Records on disk.
Table: TypeAlias = pl.DataFrame | Records


@dataclass(frozen=True, slots=True)
class SourceFailure:
    """A source that could not be read.

    Attributes:
        name: the source's name.
        type: its type (``file``, ``api``, ...).
        error: the exception's type name.
        message: what went wrong and where, without the source's name.
        retryable: whether another attempt could succeed.
    """

    name: str
    type: str
    error: str
    message: str
    retryable: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "type": self.type,
            "error": self.error,
            "message": self.message,
            "retryable": self.retryable,
        }


def consolidate(
    planned: Sequence[NamedSource],
    outcomes: Sequence[SourceData | SourceFailure],
    *,
    targets: Sequence[dict[str, Any]],
    required_fields: Sequence[str] = (),
    source_column: str = "source",
) -> dict[str, Any]:
    """Build the stage's output from each source's outcome (in ``planned`` order).

    Args:
        planned: the sources.
        outcomes: each source's records or failure, in the same order.
        targets: what each source reads (path, url, ...), shown even when it failed.
        required_fields: fields every record should have.
        source_column: the column naming each record's source.

    Raises:
        SourceError: every source failed, or those that did not were empty; the message
            names each failed source with its error.
        DataValidationError: every source was read but none had a record.
    """
    frames: list[tuple[str, Table]] = []
    sources: list[dict[str, Any]] = []
    errors: list[SourceFailure] = []
    warnings: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for source, outcome, target in zip(planned, outcomes, targets, strict=True):
        entry = {"name": source.name, "type": source.type, **target}
        if isinstance(outcome, SourceFailure):
            errors.append(outcome)
            sources.append({**entry, "status": "failed", "records": 0, "error": outcome.message})
            continue
        frame, renamed = _tag(outcome.frame, source.name, source_column)
        if renamed:
            warnings.append(renamed)
        counts[source.name] = len(frame)
        sources.append({**entry, **outcome.info, "status": "succeeded", "records": len(frame)})
        warnings.extend({"source": source.name, **w} for w in outcome.warnings)
        if outcome.fields is not None and outcome.fields.incomplete():
            warnings.append(
                _gaps_warning(
                    source.name, outcome.fields.incomplete(), len(frame), outcome.fields.missing()
                )
            )
        if len(frame):
            frames.append((source.name, frame))

    total = sum(counts.values())
    if not counts and len(errors) == 1:
        only = errors[0]
        raise SourceError(only.message, source=only.name, retryable=only.retryable)
    if not counts:
        raise SourceError(
            _failures_text(errors, f"all {len(errors)} sources failed"),
            source=", ".join(e.name for e in errors),
            retryable=any(e.retryable for e in errors),
        )
    if total == 0:
        empty = ", ".join(counts)
        if errors:
            raise SourceError(
                _failures_text(errors, f"no records: {empty} had none and the others failed"),
                source=", ".join([*counts, *(e.name for e in errors)]),
                retryable=any(e.retryable for e in errors),
            )
        raise DataValidationError(f"no records: every source was empty ({empty})")

    warnings.extend(_across_sources(frames, source_column))
    tables = [frame for _, frame in frames]
    in_memory = [table for table in tables if isinstance(table, pl.DataFrame)]
    if len(in_memory) == len(tables):
        records = Records(pl.concat(in_memory, how="diagonal"))
    else:
        # A file read to disk stays there: the others join it (they are the small ones).
        records = Records.concat([_records(table) for table in tables])
    del tables, frames, in_memory
    warnings.extend(_required(records, required_fields, source_column))
    return {
        "records": records,
        "sources": sources,
        "errors": [e.as_dict() for e in errors],
        "warnings": warnings,
        "counts": counts,
    }


def _records(table: Table) -> Records:
    return table if isinstance(table, Records) else Records(table)


def _tag(frame: Table, name: str, column: str) -> tuple[Table, dict[str, Any] | None]:
    """Put the source column first, keeping a same-named data column if it says otherwise."""
    warning = None
    kept: str | None = None  # where a data column of the same name goes (None: dropped)
    has_column = column in frame.columns
    if has_column:
        says_this = (pl.col(column).is_null() | (pl.col(column) == name)).all()
        if not frame.lazy().select(says_this).collect(engine=query_engine(frame)).item():
            kept = _free_name(f"{column}_original", list(frame.columns))
            warning = {
                "kind": "renamed_columns",
                "source": name,
                "message": f"the records of {name!r} have their own {column!r} field; it is "
                f"kept as {kept!r} (set params.source_column to use another name)",
                "count": len(frame),
                "fields": {column: len(frame)},
            }
        # Either way nothing is lost: a column that only said this source is dropped.

    def make_room(lf: pl.LazyFrame) -> pl.LazyFrame:
        if not has_column:
            return lf
        return lf.drop(column) if kept is None else lf.rename({column: kept})

    if isinstance(frame, Records):
        # Records on disk stay there: the tag becomes part of how their files are read.
        return frame.map_columns(lambda lf: _tagged(make_room(lf), name, column)), warning
    frame = make_room(frame.lazy()).collect()
    if frame.width:
        # A literal stays one value however many rows it stands for (polars keeps it a
        # scalar column until something needs it spelled out): 16 bytes a row saved.
        return frame.select(pl.lit(name, dtype=pl.String).alias(column), pl.all()), warning
    # A literal would give a frame without columns one row: spell the column out.
    tags = pl.repeat(name, frame.height, dtype=pl.String, eager=True).alias(column)
    return frame.insert_column(0, tags), warning


def _tagged(lf: pl.LazyFrame, name: str, column: str) -> pl.LazyFrame:
    return lf.select(pl.lit(name, dtype=pl.String).alias(column), pl.all())


def _free_name(name: str, taken: list[str]) -> str:
    candidate, suffix = name, 2
    while candidate in taken:
        candidate = f"{name}_{suffix}"
        suffix += 1
    return candidate


def _gaps_warning(
    source: str, incomplete: int, records: int, missing: dict[str, int]
) -> dict[str, Any]:
    listed = listing(f"{field} ({count})" for field, count in missing.items())
    return {
        "kind": "inconsistent_fields",
        "source": source,
        "message": f"{incomplete} of {records} records of {source!r} lack fields other "
        f"records have: {listed}",
        "count": incomplete,
        "fields": missing,
    }


def _across_sources(frames: list[tuple[str, Table]], source_column: str) -> list[dict[str, Any]]:
    """One warning per source that lacks fields other sources have."""
    if len(frames) < 2:
        return []
    union: dict[str, None] = {}
    for _, frame in frames:
        union.update(dict.fromkeys(frame.columns))
    out = []
    for name, frame in frames:
        has = set(frame.columns)  # a set: 100,000 columns in a list took minutes to search
        lacking = [field for field in union if field not in has and field != source_column]
        if lacking:
            out.append(
                {
                    "kind": "inconsistent_fields",
                    "source": name,
                    "message": f"the {len(frame)} records of {name!r} lack fields other "
                    f"sources have (left null): {listing(lacking)}",
                    "count": len(frame),
                    "fields": dict.fromkeys(lacking, len(frame)),
                }
            )
    return out


def _required(records: Records, fields: Sequence[str], source_column: str) -> list[dict[str, Any]]:
    """One warning per source with records missing a required field (null or blank)."""
    fields = list(dict.fromkeys(fields))
    if not fields:
        return []
    frame = records.lazy()
    absent = [field for field in fields if field not in records.columns]
    if absent:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(field) for field in absent)
    missing = {
        field: pl.col(field).is_null() | (pl.col(field).str.strip_chars() == "") for field in fields
    }
    per_source = (
        frame.group_by(source_column, maintain_order=True)
        .agg(
            pl.len().alias("__records"),
            pl.any_horizontal(list(missing.values())).sum().alias("__any"),
            *(expr.sum().alias(f"__missing:{field}") for field, expr in missing.items()),
        )
        .collect(engine=query_engine(records))
    )
    out = []
    for row in per_source.iter_rows(named=True):
        if not row["__any"]:
            continue
        counts = {f: int(row[f"__missing:{f}"]) for f in fields if row[f"__missing:{f}"]}
        listed = listing(f"{field} ({count})" for field, count in counts.items())
        source = row[source_column]
        out.append(
            {
                "kind": "missing_required_fields",
                "source": source,
                "message": f"{row['__any']} of {row['__records']} records of {source!r} miss "
                f"required fields: {listed}",
                "count": int(row["__any"]),
                "fields": counts,
            }
        )
    return out


def _failures_text(errors: Sequence[SourceFailure], head: str) -> str:
    lines = "".join(f"\n  - {e.name} ({e.type}): {e.message}" for e in errors)
    return f"{head}:{lines}" if lines else head
