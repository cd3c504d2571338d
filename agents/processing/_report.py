"""The stage's stats: per-operation counts, warnings and the quality metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from actorflow.agents.rules import FieldRoles, ValidationRules
from actorflow.contracts import Records, query_engine

from ._operations import OperationPlan
from ._process import Processed

_CLEANING_REJECTS = ("money", "duplicate")
_NOT_AN_INTEGER = ": not an integer"
_WARNING_TEXT = {
    ": unparseable": "{n} record(s): no date format parses {field}; kept as given",
    _NOT_AN_INTEGER: "{n} record(s): {field} is not a whole number; set to null",
}


def _operation_of_warning(key: str) -> str:
    return "calculations" if key.endswith(_NOT_AN_INTEGER) else "cleaning"


def warning_entries(warnings: Mapping[str, int]) -> list[dict[str, Any]]:
    """Non-zero warning counts as entries shaped like the extractor's warnings."""
    entries = []
    for key, count in warnings.items():
        if not count:
            continue
        field, _, what = key.rpartition(": ")
        template = _WARNING_TEXT.get(": " + what, "{n} record(s): {key}")
        entries.append(
            {
                "kind": key,
                "operation": _operation_of_warning(key),
                "field": field,
                "count": count,
                "message": template.format(n=count, field=field, key=key),
            }
        )
    return entries


def _rejected_by(processed: Processed[Records], names: Sequence[str]) -> dict[str, int]:
    return {k: v for k, v in processed.stats.rejected.items() if k in names}


def per_operation(
    processed: Processed[Records],
    plan: OperationPlan,
    *,
    roles: FieldRoles,
    validation: ValidationRules,
    columns: Sequence[str],
) -> dict[str, dict[str, Any]]:
    """Counts for each operation that ran: records in and out, rejects, warnings, fields."""
    stats = processed.stats
    rules = processed.rules
    count = stats.input_count
    result: dict[str, dict[str, Any]] = {}
    for operation in plan.operations:
        entry: dict[str, Any] = {"input": count}
        if operation == "cleaning":
            rejected = _rejected_by(processed, _CLEANING_REJECTS)
            entry["rejected"] = rejected
            entry["warnings"] = {
                k: v for k, v in stats.warnings.items() if _operation_of_warning(k) == operation
            }
            entry["fields"] = {
                "money": list(roles.money_fields(columns)),
                "dates": list(roles.date_fields(columns)),
                "id": roles.id,
            }
        elif operation == "normalization":
            entry["fields"] = {
                "names": list(roles.name_fields(columns)),
                "currency": list(roles.currency_fields(columns)),
            }
            entry["rules"] = [r.name for r in rules if r.kind == "transform"]
        elif operation == "calculations":
            entry["warnings"] = {
                k: v for k, v in stats.warnings.items() if _operation_of_warning(k) == operation
            }
            entry["fields"] = [roles.impressions, "rpm", "month_year"]
            entry["rules"] = [r.name for r in rules if r.kind == "calculated"]
        else:  # filtering, or the basic validation
            names = [k for k in stats.rejected if k not in _CLEANING_REJECTS]
            entry["rejected"] = _rejected_by(processed, names)
            entry["required_fields"] = list(validation.required_fields)
            if operation == "filtering":
                entry["validation_rules"] = validation_as_dict(validation)
                entry["rules"] = [r.name for r in rules if r.kind == "filter"]
        count -= sum(entry.get("rejected", {}).values())
        entry["output"] = count
        result[operation] = entry
    return result


def validation_as_dict(validation: ValidationRules) -> dict[str, Any]:
    """The limits as plain data (bounds as Decimal strings, never floats)."""

    def bound(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "min_revenue": bound(validation.min_revenue),
        "max_revenue": bound(validation.max_revenue),
        "required_fields": list(validation.required_fields),
    }


def operation_message(operation: str, entry: Mapping[str, Any]) -> str:
    """One line of in-stage progress for an operation that finished."""
    head = f"{operation}: {entry['input']} in, {entry['output']} out"
    details = [f"{rule} {n}" for rule, n in entry.get("rejected", {}).items() if n]
    details += [f"{n} {key}" for key, n in entry.get("warnings", {}).items() if n]
    return f"{head} ({', '.join(details)})" if details else head


def build_stats(
    processed: Processed[Records],
    plan: OperationPlan,
    *,
    roles: FieldRoles,
    validation: ValidationRules,
    columns: Sequence[str],
    inputs: Mapping[str, int],
    input_warnings: Sequence[Mapping[str, Any]],
    processing_month: str | None,
    duration_s: float,
) -> dict[str, Any]:
    """The ``stats`` of the stage's output (plain data, JSON-able)."""
    stats = processed.stats
    records = processed.records
    per_op = per_operation(processed, plan, roles=roles, validation=validation, columns=columns)
    rate = stats.input_count / duration_s if duration_s > 0 else 0.0
    result: dict[str, Any] = {
        "operations": list(plan.operations),
        "operations_from": plan.origin,
        "implied": dict(plan.implied),
        "inputs": dict(inputs),
        "per_operation": per_op,
        "rejected": dict(stats.rejected),
        "warnings": [*input_warnings, *warning_entries(stats.warnings)],
        "quality": {
            "input_count": stats.input_count,
            "output_count": stats.output_count,
            "reject_count": stats.reject_count,
            "clean_count": stats.clean_count,
            "retention_rate": round(stats.retention_rate, 6),
            "quality_score": round(stats.quality_score, 6),
            # Throughput: records in per second of this stage's work (timing-dependent,
            # unlike the other metrics).
            "processing_efficiency": round(rate, 1),
        },
        "duration_s": round(duration_s, 6),
        "rules": [r.name for r in processed.rules],
        "validation_rules": validation_as_dict(validation),
        "processing_month": processing_month,
    }
    counts: dict[str, pl.Expr] = {}
    if "rpm" in records.columns and "calculations" in plan:
        counts["rpm_computed"] = pl.col("rpm").is_not_null().sum()
    if processing_month is not None and "month_year" in records.columns:
        counts["in_month"] = (pl.col("month_year") == processing_month).sum()
    if counts:
        query = records.lazy().select(**counts)
        found = query.collect(engine=query_engine(records)).row(0, named=True)
        if "rpm_computed" in found:
            per_op["calculations"]["rpm_computed"] = int(found["rpm_computed"] or 0)
        if "in_month" in found:
            result["processing_month_records"] = int(found["in_month"] or 0)
    return result
