"""Table contracts: what each field of a business table is, declared or inferred.

A ``TableContract`` lists a table's fields (``FieldSpec``): their type, whether they are
required or unique, their bounds and allowed values, the source column names that mean
them, how to read their dates, and the role they play in insights. Contracts are values:
frozen, keyword-only, validated when built (``ContractError``) or decoded from a workflow
(``WorkflowValidationError`` naming the stage and ``params.contract.fields[2].type``).

Decoding, rendering and the problem paths live in ``_table_codec``; this module holds
the types and their rules.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, get_args

import msgspec

from ._errors import ContractError, Problem

__all__ = [
    "DATE_ORDERS",
    "DEFAULT_ROLES",
    "FIELD_TYPES",
    "ROLES",
    "Bound",
    "DateOrder",
    "FieldSpec",
    "FieldType",
    "Role",
    "TableContract",
]

FieldType = Literal[
    "string",
    "integer",
    "decimal",
    "money",
    "number",
    "date",
    "datetime",
    "boolean",
    "category",
    "id",
]
Role = Literal["measure", "dimension", "time", "id", "label"]
#: How a date with a slash or dash in day-month order is read: 2024-05-03 (ymd),
#: 05/03/2024 (mdy, US) or 03/05/2024 (dmy).
DateOrder = Literal["ymd", "mdy", "dmy"]
#: A bound: a number for numeric fields, an ISO date or datetime for date fields.
Bound = int | float | str

FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
ROLES: tuple[Role, ...] = get_args(Role)
DATE_ORDERS: tuple[DateOrder, ...] = get_args(DateOrder)

#: The role a field plays when its declaration does not say.
DEFAULT_ROLES: Mapping[FieldType, Role] = {
    "string": "label",
    "integer": "measure",
    "decimal": "measure",
    "money": "measure",
    "number": "measure",
    "date": "time",
    "datetime": "time",
    "boolean": "dimension",
    "category": "dimension",
    "id": "id",
}

_NUMERIC: frozenset[str] = frozenset({"integer", "decimal", "money", "number"})
_TEMPORAL: frozenset[str] = frozenset({"date", "datetime"})
_TEXTUAL: frozenset[str] = frozenset({"string", "category", "id"})
# Bounds and scales must survive TOML, whose integers are 64-bit.
_INT64 = 2**63
_MAX_SCALE = 18

#: ``bad(key, message)``: how the checks below report a problem.
_Bad = Callable[[str, str], None]


class FieldSpec(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """One field of a table.

    Attributes:
        name: the field's name (any non-empty text, unicode included).
        type: ``string``, ``integer``, ``decimal``, ``money``, ``number``, ``date``,
            ``datetime``, ``boolean``, ``category`` or ``id``.
        required: a record without a value for it is rejected.
        unique: no two records share a value.
        scale: decimal and money only: digits after the decimal point.
        currency: money only: the name of the field holding each amount's currency.
        min: the least value allowed (numbers for numeric fields, ISO text for dates).
        max: the greatest value allowed.
        allowed: string, category and id only: the only values allowed.
        aliases: source column names that mean this field (``total``, ``amount_usd``).
        date_order: date and datetime only: overrides the contract's ``date_order``.
        role: its part in insights; by default from its type (``DEFAULT_ROLES``): money
            and numbers are measures, dates the time axis, categories and booleans
            dimensions, ids ``id``, strings labels.
    """

    name: str
    type: FieldType
    required: bool = False
    unique: bool = False
    scale: int | None = None
    currency: str | None = None
    min: Bound | None = None
    max: Bound | None = None
    allowed: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()
    date_order: DateOrder | None = None
    role: Role | None = None

    def __post_init__(self) -> None:
        # Python callers may pass lists; the contract keeps tuples.
        for attr in ("allowed", "aliases"):
            value: object = getattr(self, attr)
            if isinstance(value, list):
                msgspec.structs.force_setattr(self, attr, tuple(value))
        problems = field_problems(self)
        if problems:
            raise ContractError(problems)
        if self.role is None:
            msgspec.structs.force_setattr(self, "role", DEFAULT_ROLES[self.type])


class TableContract(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=True
):
    """The fields of a table, and which of them identify a record.

    Attributes:
        fields: in order; names and aliases are unique across the contract.
        key: the fields that together identify a record (for de-duplication).
        date_order: how ambiguous dates (``03/05/2024``) of every date field are read,
            unless a field says otherwise; ``None`` leaves it to the reader.
    """

    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...] = ()
    date_order: DateOrder | None = None

    def __post_init__(self) -> None:
        for attr in ("fields", "key"):
            value: object = getattr(self, attr)
            if isinstance(value, list):
                msgspec.structs.force_setattr(self, attr, tuple(value))
        problems = contract_level_problems(self)
        if problems:
            raise ContractError(problems)

    @property
    def names(self) -> tuple[str, ...]:
        """The field names, in order."""
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        """Return the field called ``name``.

        Raises:
            KeyError: no such field.
        """
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"the contract has no field {name!r} (fields: {', '.join(self.names)})")

    def by_role(self, role: Role) -> tuple[FieldSpec, ...]:
        """The fields playing ``role``, in order."""
        return tuple(f for f in self.fields if f.role == role)

    def order_of(self, spec: FieldSpec) -> DateOrder | None:
        """The date order a date field is read with: its own, else the contract's."""
        return spec.date_order or self.date_order

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, stage: str | None = None, where: str = ""
    ) -> TableContract:
        """Build a contract from a dict shaped like the workflow's ``contract`` table.

        Args:
            data: ``{"key": [...], "fields": [{"name": ..., "type": ...}, ...]}``.
            stage: the stage it belongs to, for the error.
            where: the path of ``data`` in its document (``params.contract``), prefixed
                to each problem's field.

        Raises:
            WorkflowValidationError: every problem, each naming the field and key
                (``params.contract.fields[2].type``).
        """
        from ._table_codec import contract_from_mapping  # noqa: PLC0415  # it imports this module

        return contract_from_mapping(data, stage=stage, where=where)

    @classmethod
    def decode(
        cls, data: str | bytes, *, format: Literal["toml", "json"] = "toml"
    ) -> TableContract:
        """Decode a contract written as TOML (as ``to_toml`` renders it) or JSON.

        Raises:
            WorkflowValidationError: not TOML/JSON, or an invalid contract.
        """
        from ._table_codec import decode_contract  # noqa: PLC0415  # it imports this module

        return decode_contract(data, format=format)

    def to_dict(self) -> dict[str, Any]:
        """The contract as plain data, defaults left out (``from_mapping`` reads it back)."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out

    def to_json(self) -> str:
        """The contract as JSON (``decode(..., format="json")`` reads it back)."""
        return msgspec.json.encode(self).decode("utf-8")

    def to_toml(self, table: str = "") -> str:
        """The contract as TOML; ``decode`` reads it back equal.

        Args:
            table: the dotted table it goes in, e.g. ``stages.params.contract`` for a
                stage of a workflow file; empty for a document of its own.
        """
        from ._table_codec import contract_to_toml  # noqa: PLC0415  # it imports this module

        return contract_to_toml(self, table=table)

    def match_columns(self, columns: Iterable[str]) -> dict[str, str]:
        """Map each field to the source column that holds it.

        A column matches a field by its name, else by one of its aliases; exact matches
        first, then ignoring case and surrounding spaces. Fields with no column are
        left out.

        Returns:
            field name -> column name.
        """
        available = list(columns)
        exact = set(available)
        folded: dict[str, str] = {}
        for column in available:
            folded.setdefault(column.strip().casefold(), column)
        taken: set[str] = set()
        out: dict[str, str] = {}
        for spec in self.fields:
            names = (spec.name, *spec.aliases)
            found = next((n for n in names if n in exact and n not in taken), None)
            if found is None:
                found = next(
                    (
                        folded[n.strip().casefold()]
                        for n in names
                        if n.strip().casefold() in folded
                        and folded[n.strip().casefold()] not in taken
                    ),
                    None,
                )
            if found is not None:
                out[spec.name] = found
                taken.add(found)
        return out


def field_problems(spec: FieldSpec) -> list[Problem]:
    """Everything wrong with one field on its own; ``field`` is a key of the field."""
    out: list[Problem] = []

    def bad(key: str, message: str) -> None:
        out.append(Problem(field=key, message=message))

    if not spec.name.strip():
        bad("name", "must not be empty")
    elif not _is_text(spec.name):
        bad("name", "must not contain control characters or lone surrogates")
    _kind_problems(spec, bad)
    _bounds_problems(spec, bad)
    _list_problems(spec, bad)
    return out


def _kind_problems(spec: FieldSpec, bad: _Bad) -> None:
    """Keys that only some types have: scale, currency, date_order."""
    if spec.scale is not None:
        if spec.type not in ("decimal", "money"):
            bad("scale", f"only decimal and money fields have a scale, not {spec.type}")
        elif not 0 <= spec.scale <= _MAX_SCALE:
            bad("scale", f"must be 0 to {_MAX_SCALE}, got {spec.scale}")
    if spec.currency is not None:
        if spec.type != "money":
            bad("currency", f"only money fields have a currency field, not {spec.type}")
        elif not spec.currency.strip():
            bad("currency", "must name the field holding the currency")
    if spec.date_order is not None and spec.type not in _TEMPORAL:
        bad("date_order", f"only date and datetime fields have a date_order, not {spec.type}")


def _bounds_problems(spec: FieldSpec, bad: _Bad) -> None:
    parsed: dict[str, float | datetime.datetime] = {}
    for key, value in (("min", spec.min), ("max", spec.max)):
        if value is None:
            continue
        problem = _bound_problem(spec.type, value)
        if problem:
            bad(key, problem)
        else:
            parsed[key] = _bound_value(value)
    if len(parsed) == 2 and _greater(parsed["min"], parsed["max"]):
        bad("max", f"is less than min ({spec.max!r} < {spec.min!r})")


def _list_problems(spec: FieldSpec, bad: _Bad) -> None:
    """``allowed`` and ``aliases``."""
    if spec.allowed is not None:
        if spec.type not in _TEXTUAL:
            bad(
                "allowed",
                f"only string, category and id fields have allowed values, not {spec.type}",
            )
        elif not spec.allowed:
            bad("allowed", "must list at least one value (or be left out)")
        else:
            _duplicates(spec.allowed, "allowed", "value", bad)
            if not all(_encodable(value) for value in spec.allowed):
                bad("allowed", "values must be text (no lone surrogates)")
    for alias in spec.aliases:
        if not alias.strip() or not _is_text(alias):
            bad("aliases", f"{alias!r} is not a column name")
        elif alias == spec.name:
            bad("aliases", f"{alias!r} is the field's own name")
    _duplicates(spec.aliases, "aliases", "alias", bad)


def contract_level_problems(contract: TableContract) -> list[Problem]:
    """What is wrong between fields: clashing names, unknown keys and currency fields."""
    out: list[Problem] = []
    index: dict[str, int] = {}
    for i, spec in enumerate(contract.fields):
        if spec.name in index:
            message = f"duplicate field name {spec.name!r} (also fields[{index[spec.name]}])"
            out.append(Problem(field=f"fields[{i}].name", message=message))
        else:
            index[spec.name] = i
    out.extend(_alias_clashes(contract, index))
    out.extend(_currency_problems(contract, index))
    out.extend(
        Problem(field="key", message=f"no field {name!r} in the contract")
        for name in contract.key
        if name not in index
    )
    _duplicates(contract.key, "key", "field", lambda k, m: out.append(Problem(field=k, message=m)))
    return out


def _alias_clashes(contract: TableContract, index: Mapping[str, int]) -> list[Problem]:
    out: list[Problem] = []
    claims: dict[str, int] = {}
    for i, spec in enumerate(contract.fields):
        for alias in spec.aliases:
            other = index.get(alias, claims.get(alias))
            if other is not None and other != i:
                message = (
                    f"alias {alias!r} also names fields[{other}] "
                    f"({contract.fields[other].name!r}); a column must mean one field"
                )
                out.append(Problem(field=f"fields[{i}].aliases", message=message))
            claims.setdefault(alias, i)
    return out


def _currency_problems(contract: TableContract, index: Mapping[str, int]) -> list[Problem]:
    out: list[Problem] = []
    for i, spec in enumerate(contract.fields):
        if spec.currency is None or not spec.currency.strip():
            continue
        target = index.get(spec.currency)
        if target is None:
            message = (
                f"no field {spec.currency!r} in the contract "
                "(currency names the field holding each amount's currency)"
            )
        elif contract.fields[target].type not in _TEXTUAL:
            kind = contract.fields[target].type
            message = f"field {spec.currency!r} is {kind}; a currency field is a string or category"
        else:
            continue
        out.append(Problem(field=f"fields[{i}].currency", message=message))
    return out


def _bound_problem(kind: str, value: Bound) -> str | None:
    if kind in _NUMERIC:
        problem = None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problem = f"must be a number for a {kind} field, got {value!r}"
        elif isinstance(value, float) and not math.isfinite(value):
            problem = f"must be a finite number, got {value!r}"
        elif isinstance(value, int) and not -_INT64 <= value < _INT64:
            problem = "must fit in 64 bits"
        return problem
    if kind not in _TEMPORAL:
        return f"only numeric, date and datetime fields have bounds, not {kind}"
    if not isinstance(value, str):
        return f"must be an ISO date or datetime text for a {kind} field, got {value!r}"
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return f"{value!r} is not an ISO date or datetime (2024-05-03, 2024-05-03T10:00)"
    return None


def _bound_value(value: Bound) -> float | datetime.datetime:
    if isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value)
        return moment.replace(tzinfo=None) if moment.tzinfo is None else moment
    return value


def _greater(low: float | datetime.datetime, high: float | datetime.datetime) -> bool:
    try:
        return low > high  # type: ignore[operator]  # same kind: both checked above
    except TypeError:  # aware against naive datetimes: not comparable, not an error here
        return False


def _duplicates(
    values: Iterable[str], key: str, what: str, bad: Callable[[str, str], None]
) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            bad(key, f"lists the {what} {value!r} twice")
        seen.add(value)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_text(value: str) -> bool:
    """A name: encodable, without control characters (they break files and tables)."""
    return _encodable(value) and not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value)
