"""Hypothesis strategies for valid table contracts."""

from __future__ import annotations

import datetime

from hypothesis import strategies as st

from actorflow.contracts import DATE_ORDERS, FIELD_TYPES, ROLES, FieldSpec, TableContract

# Any printable text: unicode names are allowed, control characters and surrogates not.
NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: bool(s.strip()))
_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
_DATES = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1))


@st.composite
def _bounds(draw: st.DrawFn, kind: str) -> dict[str, object]:
    if kind in ("integer", "decimal", "money", "number"):
        values = sorted(draw(st.lists(st.one_of(_INT64, _FLOATS), min_size=2, max_size=2)))
    elif kind in ("date", "datetime"):
        values = [d.isoformat() for d in sorted(draw(st.lists(_DATES, min_size=2, max_size=2)))]
    else:
        return {}
    keep = draw(st.sampled_from(["min", "max", "both", "none"]))
    out: dict[str, object] = {}
    if keep in ("min", "both"):
        out["min"] = values[0]
    if keep in ("max", "both"):
        out["max"] = values[1]
    return out


@st.composite
def contracts(draw: st.DrawFn, max_fields: int = 6) -> TableContract:
    """A valid contract using every key a field can have."""
    names = draw(st.lists(NAMES, min_size=1, max_size=max_fields, unique=True))
    aliases_pool = draw(st.lists(NAMES.filter(lambda a: a not in names), max_size=6, unique=True))
    kinds = [draw(st.sampled_from(FIELD_TYPES)) for _ in names]
    textual = [n for n, k in zip(names, kinds, strict=True) if k in ("string", "category", "id")]
    fields = []
    for name, kind in zip(names, kinds, strict=True):
        extra: dict[str, object] = dict(draw(_bounds(kind)))
        if kind in ("decimal", "money"):
            extra["scale"] = draw(st.none() | st.integers(0, 18))
        if kind == "money" and textual:
            extra["currency"] = draw(st.none() | st.sampled_from(textual))
        if kind in ("date", "datetime"):
            extra["date_order"] = draw(st.none() | st.sampled_from(DATE_ORDERS))
        if kind in ("string", "category", "id"):
            extra["allowed"] = draw(
                st.none() | st.lists(NAMES, min_size=1, max_size=3, unique=True)
            )
        take = draw(st.integers(0, min(2, len(aliases_pool))))
        extra["aliases"] = tuple(aliases_pool[:take])
        del aliases_pool[:take]
        fields.append(
            FieldSpec(
                name=name,
                type=kind,
                required=draw(st.booleans()),
                unique=draw(st.booleans()),
                role=draw(st.none() | st.sampled_from(ROLES)),
                **extra,  # type: ignore[arg-type]  # keys valid for the kind, drawn above
            )
        )
    key = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    order = draw(st.none() | st.sampled_from(DATE_ORDERS))
    return TableContract(fields=tuple(fields), key=tuple(key), date_order=order)
