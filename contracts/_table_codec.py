"""Reading table contracts from workflow params, TOML and JSON; writing them as TOML.

msgspec does the structural decoding (unknown keys, wrong types, unknown enum values)
and ``FieldSpec``/``TableContract`` check the rest when built; both kinds of error end up
as ``Problem`` s whose ``field`` is the full path, ``params.contract.fields[2].type``.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from ._errors import ContractError, Problem, UnfreezableError, WorkflowValidationError
from ._freeze import thaw
from ._table import DATE_ORDERS, FIELD_TYPES, ROLES, FieldSpec, TableContract

__all__ = ["contract_from_mapping", "contract_problems", "contract_to_toml", "decode_contract"]

_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_CHOICES: dict[str, tuple[str, ...]] = {
    "type": FIELD_TYPES,
    "role": ROLES,
    "date_order": DATE_ORDERS,
}
# The order keys are written in; msgspec's own order would do, this reads better.
_FIELD_KEYS = (
    "name",
    "type",
    "role",
    "required",
    "unique",
    "scale",
    "currency",
    "min",
    "max",
    "allowed",
    "date_order",
    "aliases",
)


def contract_problems(
    data: Any, *, stage: str | None = None, where: str = ""
) -> tuple[TableContract | None, list[Problem]]:
    """Decode ``data`` as a contract, or say everything found wrong with it.

    Args:
        data: plain data (dicts and lists, or their frozen forms).
        stage: the stage the problems are reported against.
        where: the path of ``data`` in its document, prefixed to each problem's field.

    Returns:
        the contract and no problems, or ``None`` and at least one problem.
    """
    try:
        raw = thaw(data)
    except UnfreezableError as exc:
        return None, [Problem(stage=stage, field=where or None, message=str(exc))]
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"a {type(raw).__name__}"
        message = f"a contract is a table/object with a fields list, not {kind}"
        return None, [Problem(stage=stage, field=where or None, message=message)]
    try:
        return msgspec.convert(_iso_bounds(raw), TableContract), []
    except msgspec.ValidationError as exc:
        return None, _problems_from(exc, stage=stage, where=where)
    except ContractError as exc:  # only when msgspec did not wrap it (it always should)
        return None, [_prefixed(p, "", stage, where) for p in exc.problems]


def _iso_bounds(raw: dict[str, Any]) -> dict[str, Any]:
    """TOML's own dates (``min = 2024-01-01``) as the ISO text a bound is."""
    fields = raw.get("fields")
    if not isinstance(fields, list):
        return raw
    return {**raw, "fields": [_iso_field(spec) for spec in fields]}


def _iso_field(spec: Any) -> Any:
    if not isinstance(spec, dict):
        return spec
    temporal = (datetime.date, datetime.time)  # datetime.datetime is a date
    return {
        k: v.isoformat() if k in ("min", "max") and isinstance(v, temporal) else v
        for k, v in spec.items()
    }


def contract_from_mapping(
    data: Mapping[str, Any], *, stage: str | None = None, where: str = ""
) -> TableContract:
    """Build a contract from plain data.

    Raises:
        WorkflowValidationError: every problem, each naming the field and key.
    """
    contract, problems = contract_problems(data, stage=stage, where=where)
    if contract is None:
        raise WorkflowValidationError(problems)
    return contract


def decode_contract(
    data: str | bytes, *, format: Literal["toml", "json"] = "toml"
) -> TableContract:
    """Decode a TOML or JSON document holding one contract.

    Raises:
        WorkflowValidationError: not valid TOML/JSON, or not a valid contract.
    """
    try:
        raw = msgspec.toml.decode(data) if format == "toml" else msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise WorkflowValidationError([Problem(message=f"not valid {format}: {exc}")]) from None
    contract, problems = contract_problems(raw)
    if contract is None:
        raise WorkflowValidationError(problems)
    return contract


def contract_to_toml(contract: TableContract, *, table: str = "") -> str:
    """Render ``contract`` as TOML that ``decode_contract`` reads back equal.

    Args:
        table: the dotted table to put it in (``stages.params.contract``); empty for a
            document of its own.
    """
    lines: list[str] = []
    if table:
        lines.append(f"[{table}]")
    if contract.key:
        lines.append(f"key = {_value(list(contract.key))}")
    if contract.date_order is not None:
        lines.append(f"date_order = {_value(contract.date_order)}")
    if not contract.fields:
        lines.append("fields = []")
    fields_table = f"{table}.fields" if table else "fields"
    for spec in contract.fields:
        if lines:
            lines.append("")
        lines.append(f"[[{fields_table}]]")
        data = _field_data(spec)
        lines.extend(f"{key} = {_value(data[key])}" for key in _FIELD_KEYS if key in data)
    return "\n".join(lines) + "\n"


def _field_data(spec: FieldSpec) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(spec)
    return data


def _value(value: Any) -> str:
    """One TOML value: strings, booleans, integers, floats and lists of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # finite (checked by FieldSpec); repr round-trips exactly
    if isinstance(value, str):
        # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")  # pragma: no cover


def _problems_from(exc: msgspec.ValidationError, *, stage: str | None, where: str) -> list[Problem]:
    text = str(exc)
    match = _PATH.search(text)
    path = match.group("path") if match else ""
    message = text[: match.start()] if match else text
    cause = exc.__cause__
    if isinstance(cause, ContractError):
        return [_prefixed(p, path, stage, where) for p in cause.problems]
    key = path.rsplit(".", 1)[-1] if path else ""
    if "unknown field" in message and "`" in message:
        # msgspec names an unknown key at its parent: point at the key itself.
        path = f"{path}.{message.split('`')[1]}"
    elif message.startswith("Invalid enum value") and key in _CHOICES:
        message += f" (expected one of: {', '.join(_CHOICES[key])})"
    elif message.startswith("Object missing required field") and "`" in message:
        path = f"{path}.{message.split('`')[1]}"
    return [Problem(stage=stage, field=_join(where, path.lstrip(".")) or None, message=message)]


def _prefixed(problem: Problem, path: str, stage: str | None, where: str) -> Problem:
    field = _join(where, _join(path.lstrip("."), problem.field or ""))
    return Problem(stage=stage, field=field or None, message=problem.message)


def _join(head: str, tail: str) -> str:
    if not head:
        return tail
    if not tail:
        return head
    return f"{head}{tail}" if tail.startswith("[") else f"{head}.{tail}"
