"""The catalogue of standard business metrics, applied when their inputs exist.

A metric is added when the task asks for performance or metrics (``performance``,
``metrics``, ``kpi``, a metric's own name, ``calculate``/``compute``), every input is a
numeric field of the contract (found by its name or an alias, ignoring case), no field
or declared calculation has its name already, and its expression type-checks. Rates
are per row here; at total level they are ratios of sums (the insights agent's job).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from actorflow.agents.expressions import Calculation
from actorflow.contracts import TableContract

__all__ = ["CATALOGUE", "METRIC_WORDS", "catalogue_calculations"]

#: name -> (expression with ``{a}``/``{b}`` for its inputs, alternatives per input,
#: result scale: rates keep 6 digits, so a 1.5% CTR is not rounded to 0.02).
CATALOGUE: dict[str, tuple[str, tuple[tuple[str, ...], ...], int]] = {
    "ctr": ("{a} / {b}", (("clicks",), ("impressions",)), 6),
    "cpc": ("{a} / {b}", (("spend", "cost"), ("clicks",)), 2),
    "cpm": ("{a} / {b} * 1000", (("spend", "cost"), ("impressions",)), 2),
    "conversion_rate": ("{a} / {b}", (("conversions",), ("clicks",)), 6),
    "roas": ("{a} / {b}", (("revenue",), ("spend",)), 4),
    "average_order_value": ("{a} / {b}", (("revenue", "amount"), ("orders",)), 2),
    "rpm": ("{a} / {b} * 1000", (("revenue",), ("impressions",)), 2),
    "margin": ("{a} - {b}", (("revenue",), ("cost",)), 2),
}
#: Words of a task that ask for the catalogue.
METRIC_WORDS = re.compile(
    r"\b(?:perform|metric|kpi|ctr|cpc|cpm|roas|rpm|aov|margin|calculat|comput)",
    re.IGNORECASE,
)
_NUMERIC = frozenset({"integer", "decimal", "money", "number"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _field_for(contract: TableContract, names: Iterable[str]) -> str | None:
    wanted = [n.casefold() for n in names]
    for want in wanted:
        for spec in contract.fields:
            spellings = (spec.name, *spec.aliases)
            if spec.type in _NUMERIC and any(s.casefold() == want for s in spellings):
                return spec.name if _IDENT.match(spec.name) else None
    return None


def catalogue_calculations(
    contract: TableContract, taken: Iterable[str]
) -> tuple[Calculation, ...]:
    """The catalogue's metrics whose inputs the contract has."""
    used = {n.casefold() for n in (*contract.names, *taken)}
    out: list[Calculation] = []
    for name, (template, inputs, scale) in CATALOGUE.items():
        if name in used:
            continue
        found = [_field_for(contract, alternatives) for alternatives in inputs]
        if all(found):
            out.append(Calculation(name, template.format(a=found[0], b=found[1]), scale))
    return tuple(out)
