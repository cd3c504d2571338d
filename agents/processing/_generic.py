"""The contract-driven path: any business table, its contract declared or inferred.

The declared ``params.contract`` is matched to the columns by name or alias; without
one the contract is inferred from the values
(:func:`actorflow.agents.infer.infer_contract`, which requires nothing; its identifier
fields become its key). The table is then typed and checked by it
(:mod:`._by_contract`), the task's operations choosing what else runs: cleaning
de-duplicates by the key fields and folds category spellings, normalization folds them
and collapses spaces in text, calculations adds the declared ``params.calculations`` and
the catalogue's metrics (:mod:`._metrics`), filtering checks ``min``/``max``/``allowed``.
Typing and the ``required``/``type`` checks always run.

Quality metrics keep the seed's meanings: ``data_retention_rate`` = out / in,
``processing_efficiency`` = max(0, 1 - issues / in) where issues are the rejected rows,
the unparsed values kept as null and the divisions by zero, and ``quality_score`` = the
seed's three checks passed / 3: records remain; their structure is consistent (a typed
table's always is); the required fields are there (the contract's required fields, or
when it requires none, a field playing ``id`` or ``label``: the seed looked for ``id``
or ``name``). Today's measures are ``clean_rate`` and ``records_per_s``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import polars as pl

from actorflow.agents.expressions import (
    Calculation,
    CheckedCalculation,
    FieldType,
    apply_calculations,
    calculation_problems,
    check_calculations,
)
from actorflow.agents.infer import Finding, infer_contract
from actorflow.contracts import (
    DataValidationError,
    Records,
    TableContract,
    WorkflowValidationError,
)

from ._by_contract import ContractOutcome, process_by_contract
from ._metrics import METRIC_WORDS, catalogue_calculations
from ._operations import OperationPlan

__all__ = ["field_types", "process_generic"]

_TYPED = frozenset({"decimal", "money"})


def field_types(contract: TableContract) -> dict[str, FieldType]:
    """The contract's fields as the expression language types them."""
    return {
        s.name: FieldType(s.type, s.scale if s.type in _TYPED else None) for s in contract.fields
    }


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, the way the extractor reads values: numbers, booleans and
    dates in their usual form, lists and objects as JSON."""
    changes = []
    for name, dtype in frame.schema.items():
        if dtype in (pl.String, pl.Null):
            continue
        if dtype.is_nested():
            column = frame.get_column(name)
            changes.append(
                pl.Series(
                    name,
                    [None if v is None else json.dumps(v, default=str) for v in column.to_list()],
                    pl.String,
                )
            )
        else:
            changes.append(frame.get_column(name).cast(pl.String))
    return frame.with_columns(changes) if changes else frame


def _finding(item: Finding) -> dict[str, Any]:
    return {
        "field": item.field,
        "kind": item.kind,
        "severity": item.severity,
        "message": item.message,
        "count": item.count,
        "examples": list(item.examples),
        "date_order": item.date_order,
    }


def _contract_of(
    frame: pl.DataFrame, declared: TableContract | None
) -> tuple[TableContract, dict[str, str], list[dict[str, Any]], str]:
    if declared is not None:
        return declared, declared.match_columns(frame.columns), [], "declared"
    inference = infer_contract(frame)
    mapping = {r.name: r.column for r in inference.fields}
    contract = inference.contract
    ids = tuple(s.name for s in contract.fields if s.type == "id")
    if not contract.key and ids:
        # Inference names no key; the identifier fields are the best one there is
        # (an order_id repeated is the same order sent twice).
        contract = msgspec.structs.replace(contract, key=ids)
    return contract, mapping, [_finding(f) for f in inference.findings], "inferred"


def _calculations(
    contract: TableContract,
    declared: Sequence[Calculation],
    *,
    stage: str,
    catalogue: bool,
    source: str,
) -> tuple[tuple[CheckedCalculation, ...], dict[str, str]]:
    types = field_types(contract)
    try:
        checked = check_calculations(stage, declared, types)
    except WorkflowValidationError as exc:
        if source == "declared":
            raise
        raise DataValidationError(
            f"stage {stage!r}: params.calculations do not fit the inferred contract "
            f"({'; '.join(p.message for p in exc.problems)}); declare params.contract "
            "to pin the field types"
        ) from None
    expressions = {c.name: c.expression for c in declared}
    if catalogue:
        wanted = catalogue_calculations(contract, expressions)
        # A metric whose inputs do not type-check (a text "clicks") is left out.
        metrics, _ = calculation_problems(stage, wanted, types)
        checked = (*checked, *metrics)
        expressions.update({c.name: c.expression for c in wanted})
    return checked, expressions


def _unparsed_warnings(outcome: ContractOutcome) -> list[dict[str, Any]]:
    """Unparsed optional values kept as null, as warning entries (as the extractor's)."""
    return [
        {
            "kind": f"{name}: unparsed",
            "operation": "cleaning",
            "field": name,
            "count": quality["unparsed"],
            "message": f"{quality['unparsed']} record(s): {name} is not of its type; kept as null",
        }
        for name, quality in outcome.field_quality.items()
        if quality["unparsed"] and quality["action"] == "kept as null"
    ]


def _quality(
    outcome: ContractOutcome,
    contract: TableContract,
    *,
    records_in: int,
    zero_divisions: int,
    duration_s: float,
    operations: int,
) -> dict[str, Any]:
    out = outcome.records.height
    rejected = outcome.rejects.height
    issues = rejected + outcome.kept_as_null + zero_divisions
    required = [s.name for s in contract.fields if s.required]
    if required:
        fields_there = all(f in outcome.records.columns for f in required)
    else:
        fields_there = bool(contract.by_role("id") or contract.by_role("label"))
    checks = (out > 0, out > 0, out > 0 and fields_there)
    return {
        "records_in": records_in,
        "records_out": out,
        "rejected": rejected,
        "data_retention_rate": out / records_in if records_in else 0.0,
        "processing_efficiency": max(0.0, 1 - issues / records_in) if records_in else 0.0,
        "quality_score": sum(checks) / 3,
        # As the seed counts them: every operation that ran reported its stats.
        "operations_successful": operations,
        "total_operations": operations,
        "issues": issues,
        "clean_rate": outcome.clean_count / records_in if records_in else 1.0,
        # Throughput: timing-dependent, unlike the other metrics.
        "records_per_s": round(records_in / duration_s, 1) if duration_s > 0 else 0.0,
    }


def process_generic(
    records: Records,
    plan: OperationPlan,
    *,
    contract: TableContract | None,
    calculations: Sequence[Calculation],
    task: str,
    stage: str,
    inputs: Mapping[str, int],
    input_warnings: Sequence[Mapping[str, Any]],
    started: float,
) -> dict[str, Any]:
    """Process ``records`` by a contract; the stage's output (see the module).

    Raises:
        DataValidationError: a required field has no column, or the calculations do not
            fit an inferred contract.
        WorkflowValidationError: the calculations do not fit the declared contract.
    """
    frame = as_text(records.frame)
    used, mapping, findings, source = _contract_of(frame, contract)
    try:
        outcome = process_by_contract(
            frame,
            used,
            mapping,
            dedupe="cleaning" in plan,
            fold="cleaning" in plan or "normalization" in plan,
            collapse="normalization" in plan,
            check_limits="filtering" in plan,
        )
    except DataValidationError as exc:
        raise DataValidationError(f"stage {stage!r}: {exc}") from None
    catalogue = "calculations" in plan or bool(METRIC_WORDS.search(task))
    checked, expressions = _calculations(
        used,
        calculations,
        stage=stage,
        catalogue=catalogue,
        source=source,
    )
    kept = outcome.records
    calculated: dict[str, Any] = {}
    zero_divisions = 0
    if checked:
        kept, counts = apply_calculations(kept, checked)
        for item in checked:
            n = counts[item.name].divided_by_zero
            zero_divisions += n
            calculated[item.name] = {
                "expression": expressions[item.name],
                "type": str(item.checked.result.kind),
                "division_by_zero": n,
            }
            if n:
                findings.append(
                    {
                        "field": item.name,
                        "kind": "division_by_zero",
                        "severity": "warning",
                        "message": f"{n} record(s): {item.name} = {expressions[item.name]} "
                        "divided by zero; set to null",
                        "count": n,
                        "examples": [],
                        "date_order": None,
                    }
                )
    duration = time.perf_counter() - started
    quality = _quality(
        outcome,
        used,
        records_in=frame.height,
        zero_divisions=zero_divisions,
        duration_s=duration,
        operations=len(plan.operations),
    )
    stats = {
        "pipeline": "contract",
        "operations": list(plan.operations),
        "operations_from": plan.origin,
        "implied": dict(plan.implied),
        "inputs": dict(inputs),
        "rejected": dict(outcome.rejected),
        "warnings": [*input_warnings, *_unparsed_warnings(outcome)],
        "quality": {
            "input_count": frame.height,
            "output_count": kept.height,
            "reject_count": outcome.rejects.height,
            "clean_count": outcome.clean_count,
            "retention_rate": round(quality["data_retention_rate"], 6),
            "quality_score": round(quality["quality_score"], 6),
            "processing_efficiency": round(quality["processing_efficiency"], 6),
        },
        "duration_s": round(duration, 6),
    }
    return {
        "records": Records(kept),
        "rejects": Records(outcome.rejects),
        "stats": stats,
        "contract": used.to_dict(),
        "contract_toml": used.to_toml(table="stages.params.contract"),
        "contract_source": source,
        "findings": findings,
        "quality_metrics": quality,
        "field_quality": outcome.field_quality,
        "calculations": calculated,
    }
