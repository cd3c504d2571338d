"""A processing stage's settings: its params, checked, merged with the run input's."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from actorflow.agents.expressions import Calculation, parse_calculations
from actorflow.agents.rules import SLICE_ROWS, FieldRoles, Rule, RuleSet, ValidationRules
from actorflow.contracts import (
    DataValidationError,
    Problem,
    TableContract,
    WorkflowValidationError,
)

from ._operations import BASIC_VALIDATION, OPERATIONS

_KEYS = (
    "operations",
    "roles",
    "validation_rules",
    "rules",
    "inputs",
    "processing_month",
    "slice_rows",
    "contract",
    "calculations",
)
_ROLE_TUPLES = frozenset({"money", "money_suffixes", "dates", "date_suffixes", "names", "currency"})
_ROLE_NAMES = frozenset({"id", "revenue", "impressions", "date"})
_MONTH = re.compile(r"^[0-9]{4}-(?:0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessingParams:
    """What one processing stage was asked to do.

    Attributes:
        operations: ``params["operations"]``, or None to take them from the task.
        roles: which columns get which rule.
        validation: the filtering limits (params' ``validation_rules`` overridden key by
            key by the run input's).
        input_has_validation_rules: the run input gave ``validation_rules``.
        rules: the user rules to apply, in registration order.
        named_rules: whether ``params["rules"]`` chose them (else: every registered rule).
        inputs: dependency stages to take records from; None for all of them.
        processing_month: the run's ``YYYY-MM``, carried into the stats.
        slice_rows: the most rows processed at once (a longer table is processed a
            slice at a time; records on disk are read and written so too).
        contract: the declared ``params.contract`` (None: inferred from the data).
        calculations: the declared ``params.calculations``, in order.
    """

    operations: tuple[str, ...] | None
    roles: FieldRoles
    validation: ValidationRules
    input_has_validation_rules: bool
    rules: tuple[Rule, ...]
    named_rules: bool
    inputs: tuple[str, ...] | None
    processing_month: str | None
    slice_rows: int = SLICE_ROWS
    contract: TableContract | None = None
    calculations: tuple[Calculation, ...] = ()


def _contract(value: object, *, stage: str) -> TableContract | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _invalid(stage, "params.contract", f"must be a table of fields, got {value!r}")
    return TableContract.from_mapping(value, stage=stage, where="params.contract")


def _invalid(stage: str, field: str, message: str) -> WorkflowValidationError:
    return WorkflowValidationError([Problem(message=message, stage=stage, field=field)])


def _names(value: object, *, stage: str, field: str) -> tuple[str, ...]:
    """A list of strings from params (frozen to a tuple), or a clear error."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise _invalid(stage, field, f"must be a list of names, got {value!r}")
    bad = [v for v in value if not isinstance(v, str) or not v]
    if bad:
        raise _invalid(stage, field, f"must hold non-empty strings, got {bad!r}")
    return tuple(value)


def _operations(value: object, *, stage: str) -> tuple[str, ...]:
    names = _names(value, stage=stage, field="params.operations")
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown:
        raise _invalid(
            stage,
            "params.operations",
            f"unknown operation(s) {unknown}; choose from {list(OPERATIONS)}",
        )
    if not names:
        raise _invalid(
            stage,
            "params.operations",
            "is empty; leave it out to take the operations from the task's words",
        )
    if BASIC_VALIDATION in names and len(set(names)) > 1:
        raise _invalid(
            stage,
            "params.operations",
            f"{BASIC_VALIDATION!r} is the basic check run on its own; with other operations "
            "use 'filtering', which checks the required fields too",
        )
    return names


def parse_roles(value: object, *, stage: str, base: FieldRoles) -> FieldRoles:
    """``params["roles"]`` over ``base`` (the agent's default roles)."""
    if value is None:
        return base
    if not isinstance(value, Mapping):
        raise _invalid(stage, "params.roles", f"must be a table of field roles, got {value!r}")
    known = {f.name for f in fields(FieldRoles)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise _invalid(
            stage, "params.roles", f"unknown role(s) {unknown}; expected some of {sorted(known)}"
        )
    changes: dict[str, Any] = {}
    for key, item in value.items():
        where = f"params.roles.{key}"
        if key in _ROLE_TUPLES:
            changes[key] = _names(item, stage=stage, field=where)
        elif key in _ROLE_NAMES:
            if not isinstance(item, str) or not item:
                raise _invalid(stage, where, f"must be a column name, got {item!r}")
            changes[key] = item
    merged = {f.name: getattr(base, f.name) for f in fields(FieldRoles)} | changes
    try:
        return FieldRoles(**merged)
    except ValueError as exc:
        raise _invalid(stage, "params.roles", str(exc)) from None


def _validation(
    from_params: object, from_input: object, *, stage: str
) -> tuple[ValidationRules, bool]:
    if from_params is not None and not isinstance(from_params, Mapping):
        raise _invalid(stage, "params.validation_rules", f"must be a table, got {from_params!r}")
    if from_input is not None and not isinstance(from_input, Mapping):
        raise DataValidationError(
            f"stage {stage!r}: the run input's validation_rules must be an object, "
            f"got {from_input!r}"
        )
    try:
        ValidationRules.from_mapping(from_params)
    except ValueError as exc:
        raise _invalid(stage, "params.validation_rules", str(exc)) from None
    merged = {**(from_params or {}), **(from_input or {})}
    try:
        rules = ValidationRules.from_mapping(merged)
    except ValueError as exc:
        raise DataValidationError(
            f"stage {stage!r}: the run input's validation_rules are invalid: {exc}"
        ) from None
    return rules, from_input is not None


def _rules(value: object, registry: RuleSet, *, stage: str) -> tuple[tuple[Rule, ...], bool]:
    if value is None:
        return tuple(registry), False
    names = _names(value, stage=stage, field="params.rules")
    unknown = [n for n in names if n not in registry]
    if unknown:
        known = list(registry.names) or "none (give the agent a RuleSet)"
        raise _invalid(
            stage, "params.rules", f"no registered rule(s) {unknown}; registered: {known}"
        )
    chosen = set(names)
    # Registration order, not the params' order: a calculated rule may read another.
    return tuple(r for r in registry if r.name in chosen), True


def _is_month(value: object) -> bool:
    return isinstance(value, str) and bool(_MONTH.match(value))


def _month(from_params: object, from_input: object, *, stage: str) -> str | None:
    """The input's processing month, else the params' one; both must be ``YYYY-MM``."""
    expected = "must be a month as YYYY-MM (e.g. '2024-03')"
    if from_params is not None and not _is_month(from_params):
        raise _invalid(stage, "params.processing_month", f"{expected}, got {from_params!r}")
    if from_input is not None:
        if not _is_month(from_input):
            raise DataValidationError(
                f"stage {stage!r}: the run input's processing_month {expected}, got {from_input!r}"
            )
        return str(from_input)
    return None if from_params is None else str(from_params)


def parse_params(
    params: Mapping[str, Any],
    run_input: Mapping[str, Any],
    *,
    stage: str,
    registry: RuleSet,
    roles: FieldRoles,
) -> ProcessingParams:
    """Check a stage's params and merge them with the run input.

    Args:
        params: the stage's params.
        run_input: the run's input (``validation_rules``, ``processing_month``).
        stage: the stage's name, for messages.
        registry: the agent's user rules.
        roles: the agent's default field roles.

    Raises:
        WorkflowValidationError: bad params, naming the stage and field.
        DataValidationError: bad ``validation_rules`` or ``processing_month`` in the input.
    """
    unknown = sorted(set(params) - set(_KEYS))
    if unknown:
        raise _invalid(
            stage, "params", f"unknown field(s) {unknown}; expected some of {list(_KEYS)}"
        )
    operations = params.get("operations")
    inputs = params.get("inputs")
    validation, from_input = _validation(
        params.get("validation_rules"), run_input.get("validation_rules"), stage=stage
    )
    rules, named = _rules(params.get("rules"), registry, stage=stage)
    return ProcessingParams(
        operations=None if operations is None else _operations(operations, stage=stage),
        roles=parse_roles(params.get("roles"), stage=stage, base=roles),
        validation=validation,
        input_has_validation_rules=from_input,
        rules=rules,
        named_rules=named,
        inputs=None if inputs is None else _names(inputs, stage=stage, field="params.inputs"),
        processing_month=_month(
            params.get("processing_month"), run_input.get("processing_month"), stage=stage
        ),
        slice_rows=_slice_rows(params.get("slice_rows", SLICE_ROWS), stage=stage),
        contract=_contract(params.get("contract"), stage=stage),
        calculations=(
            ()
            if params.get("calculations") is None
            else parse_calculations(stage, params["calculations"])
        ),
    )


def _slice_rows(value: object, *, stage: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _invalid(stage, "params.slice_rows", f"must be a whole number >= 1, got {value!r}")
    return value
