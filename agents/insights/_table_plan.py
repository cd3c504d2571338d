"""What a generic report is about: measures, rates, dimensions, the time field, the noun.

The processing stage's ``contract`` gives each field a role (``measure``, ``dimension``,
``time``, ``id``, ``label``); its ``calculations`` give the derived fields and their
formulas. From them, and the records' dtypes:

- measures: the contract's measure fields the records hold as numbers, then the numeric
  calculations that are arithmetic on fields and not rates (``margin = revenue - cost``
  adds up; ``month(order_date)`` or an ``if`` does not, even when declared a measure);
- rates: the calculations whose formula is a ratio (``clicks / impressions``, possibly
  times or over a constant, possibly rounded). A rate is never added up: at total level
  and per group it is the formula over the sums of its inputs (Σclicks / Σimpressions);
- the main measure: ``params.value_field`` when given, else the first money measure,
  then the first other decimal, then the first measure (those with values first);
- the time field: ``params.date_field`` when given, else the first time field held as a
  date or datetime;
- the entity noun (``Total spend is 900.00 across 2 campaigns``): ``params.entity``, else
  the stem of the first id, then label, field named ``<stem>_id`` / ``_name`` /
  ``_code`` / ``_number`` / ``_no`` (``order_id`` -> order, ``podcast_name`` -> podcast),
  else "record".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import polars as pl

from actorflow.agents.expressions import Binary, Call, ExpressionError, Field, Node, Number, parse
from actorflow.agents.expressions import Unary as UnaryNode
from actorflow.contracts import ActorflowError, DataValidationError, TableContract

from ._params import InsightsParams

MeasureKind = Literal["decimal", "integer", "float"]
# ``order_id``, ``order id``, ``order-ID`` (a separator) or ``orderId`` (camel case);
# never a word that merely ends so (``paid``).
_STEM = re.compile(r"^(.+?)(?:[ _-]+(?i:id|name|code|number|no)|Id|ID|Name|Code|Number|No)$")


@dataclass(frozen=True, slots=True)
class Measure:
    """A column that adds up.

    Attributes:
        name: the field's name.
        kind: exact ``decimal`` (any scale, money included), ``integer`` or ``float``.
        scale: the places its totals are shown with (a decimal's scale, else 0 or 2).
        money: declared as money.
    """

    name: str
    kind: MeasureKind
    scale: int
    money: bool = False


@dataclass(frozen=True, slots=True)
class Rate:
    """A derived ratio, evaluated over sums.

    Attributes:
        name: the derived field.
        expression: its formula as written.
        node: the parsed formula.
        inputs: the fields it reads.
        percent: shown as a percentage: a bare ratio of two integer measures (``ctr``).
        places: places shown when not a percentage (2 for money, else 4).
    """

    name: str
    expression: str
    node: Node
    inputs: tuple[str, ...]
    percent: bool
    places: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The fields a generic report is about (see the module's description)."""

    contract: TableContract
    measures: tuple[Measure, ...]
    rates: tuple[Rate, ...]
    candidates: tuple[str, ...]
    dimensions_given: bool
    time: str | None
    id_field: str | None
    label_field: str | None
    entity: tuple[str, str]


def measure_kind(dtype: pl.DataType) -> MeasureKind | None:
    """How a column adds up, or None if it is not a number."""
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    return None


def _measure(name: str, dtype: pl.DataType, *, money: bool) -> Measure | None:
    kind = measure_kind(dtype)
    if kind is None:
        return None
    scale = (dtype.scale or 0) if isinstance(dtype, pl.Decimal) else (0 if kind == "integer" else 2)
    return Measure(name, kind, scale, money)


def plural(word: str) -> str:
    """English plural of a noun (``campaign`` -> ``campaigns``, ``category`` -> ``categories``)."""
    lower = word.lower()
    if lower.endswith("y") and len(word) > 1 and lower[-2] not in "aeiou":
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def entity_noun(contract: TableContract, given: str | None) -> tuple[str, str]:
    """What one record is, singular and plural (see the module's description)."""
    if given:
        return given, plural(given)
    for role in ("id", "label"):
        for spec in contract.by_role(role):
            match = _STEM.match(spec.name)
            if match:
                stem = " ".join(match.group(1).replace("_", " ").replace("-", " ").split())
                if stem:
                    return stem, plural(stem)
    return "record", "records"


def _core(node: Node) -> tuple[Node, bool]:
    """The ratio under rounding and constant factors, and whether there were any."""
    if isinstance(node, Call) and node.name == "round" and node.args:
        inner, _ = _core(node.args[0])
        return inner, True
    if isinstance(node, Binary) and node.op in ("*", "/"):
        if isinstance(node.right, Number):
            inner, _ = _core(node.left)
            return inner, True
        if node.op == "*" and isinstance(node.left, Number):
            inner, _ = _core(node.right)
            return inner, True
    return node, False


def _arithmetic(node: Node) -> bool:
    if isinstance(node, Number | Field):
        return True
    if isinstance(node, UnaryNode):
        return node.op == "-" and _arithmetic(node.operand)
    if isinstance(node, Binary):
        return (
            node.op in ("+", "-", "*", "/") and _arithmetic(node.left) and _arithmetic(node.right)
        )
    if isinstance(node, Call):
        return node.name == "round" and bool(node.args) and _arithmetic(node.args[0])
    return False


def _fields(node: Node) -> list[str]:
    if isinstance(node, Field):
        return [node.name]
    if isinstance(node, UnaryNode):
        return _fields(node.operand)
    if isinstance(node, Binary):
        return _fields(node.left) + _fields(node.right)
    if isinstance(node, Call):
        return [f for arg in node.args for f in _fields(arg)]
    return []


def as_rate(name: str, spec: Mapping[str, Any], measures: Mapping[str, Measure]) -> Rate | None:
    """The calculation as a rate, or None when its formula is not a ratio of measures."""
    expression = spec.get("expression")
    if not isinstance(expression, str):
        return None
    try:
        node = parse(expression)
    except ExpressionError:
        return None
    core, scaled = _core(node)
    if not (isinstance(core, Binary) and core.op == "/" and _arithmetic(node)):
        return None
    inputs = tuple(dict.fromkeys(_fields(node)))
    if not inputs or any(f not in measures for f in inputs):
        return None
    bare = (
        not scaled
        and isinstance(core.left, Field)
        and isinstance(core.right, Field)
        and measures[core.left.name].kind == "integer"
        and measures[core.right.name].kind == "integer"
    )
    places = 2 if spec.get("type") == "money" else 4
    return Rate(name, expression, node, inputs, bare, places)


def _adds_up(spec: Mapping[str, Any]) -> bool:
    """A derived field is an amount when its formula is arithmetic on fields."""
    expression = spec.get("expression")
    if not isinstance(expression, str):
        return False
    try:
        node = parse(expression)
    except ExpressionError:
        return False
    return _arithmetic(node) and bool(_fields(node))


def evaluate(node: Node, sums: Mapping[str, Decimal]) -> Decimal | None:  # noqa: PLR0911
    """A rate's formula over sums, exactly; None when it divides by zero (or a sum is
    missing). Rounding in the formula is left to the display."""
    if isinstance(node, Number):
        return Decimal(node.value)
    if isinstance(node, Field):
        return sums.get(node.name)
    if isinstance(node, UnaryNode):
        inner = evaluate(node.operand, sums)
        return None if inner is None else -inner
    if isinstance(node, Call):
        return evaluate(node.args[0], sums)
    if isinstance(node, Binary):
        left, right = evaluate(node.left, sums), evaluate(node.right, sums)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return None if right == 0 else left / right
    return None


def load_contract(data: Mapping[str, Any], *, stage: str) -> TableContract:
    """The processing output's contract, read back."""
    try:
        return TableContract.from_mapping(data, stage=stage, where="contract")
    except ActorflowError as exc:
        raise DataValidationError(
            f"stage {stage!r}: the processing output's contract cannot be read: {exc}"
        ) from exc


def make_plan(
    contract: TableContract,
    calculations: Mapping[str, Mapping[str, Any]],
    schema: Mapping[str, pl.DataType],
    params: InsightsParams,
    *,
    given: Sequence[str],
    stage: str,
) -> Plan:
    """Choose the report's fields (see the module's description).

    Raises:
        DataValidationError: a field named in the params is not in the records, or is
            not of the kind asked (``value_field`` not a number, ``date_field`` not a date).
    """
    numeric = {
        name: m
        for name, dtype in schema.items()
        if (m := _measure(name, dtype, money=False)) is not None
    }
    declared = {
        spec.name: Measure(m.name, m.kind, m.scale, spec.type == "money")
        for spec in contract.by_role("measure")
        if (m := numeric.get(spec.name)) is not None
    }
    rates = tuple(
        r for name, spec in calculations.items() if (r := as_rate(name, spec, numeric)) is not None
    )
    # Derived fields that do not add up: rates, and those computed by functions or
    # conditions (``month(order_date)`` is a number, not an amount).
    skipped = {r.name for r in rates} | {
        name for name, spec in calculations.items() if not _adds_up(spec)
    }
    measures = [m for name, m in declared.items() if name not in skipped]
    measures += [
        numeric[name]
        for name in calculations
        if name in numeric and name not in skipped and name not in declared
    ]
    if "value_field" in given:
        main = next((m for m in measures if m.name == params.value_field), None)
        if main is None:
            raise DataValidationError(
                f"stage {stage!r}: params.value_field {params.value_field!r} is not a "
                f"measure of the records (measures: {[m.name for m in measures]})"
            )
        measures.remove(main)
        measures.insert(0, main)
    else:
        measures.sort(key=lambda m: (not m.money, m.kind != "decimal"))  # stable

    if "dimensions" in given and params.dimensions is not None:
        missing = [d for d in params.dimensions if d not in schema]
        if missing:
            raise DataValidationError(
                f"stage {stage!r}: params.dimensions names {missing}, which the records "
                f"lack (columns: {list(schema)})"
            )
        candidates, dims_given = tuple(params.dimensions), True
    else:
        kept = [
            s.name
            for role in ("dimension", "label")
            for s in contract.by_role(role)
            if s.name in schema and measure_kind(schema[s.name]) is None
        ]
        candidates, dims_given = tuple(kept), False

    time = _time_field(contract, schema, params, given=given, stage=stage)
    ids = [s.name for s in contract.by_role("id") if s.name in schema]
    labels = [s.name for s in contract.by_role("label") if s.name in schema]
    return Plan(
        contract=contract,
        measures=tuple(measures),
        rates=rates,
        candidates=candidates,
        dimensions_given=dims_given,
        time=time,
        id_field=params.id_field if "id_field" in given else (ids[0] if ids else None),
        label_field=labels[0] if labels else None,
        entity=entity_noun(contract, params.entity),
    )


def _time_field(
    contract: TableContract,
    schema: Mapping[str, pl.DataType],
    params: InsightsParams,
    *,
    given: Sequence[str],
    stage: str,
) -> str | None:
    def temporal(name: str) -> bool:
        dtype = schema.get(name)
        return dtype is not None and dtype.is_temporal() and dtype != pl.Time

    if "date_field" in given:
        if not temporal(params.date_field):
            raise DataValidationError(
                f"stage {stage!r}: params.date_field {params.date_field!r} is not a date "
                f"or datetime column of the records ({schema.get(params.date_field)})"
            )
        return params.date_field
    return next((s.name for s in contract.by_role("time") if temporal(s.name)), None)
