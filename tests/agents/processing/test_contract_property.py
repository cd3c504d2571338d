"""Random contracts, messy tables drawn from them: the processor agrees with a scalar spec.

The spec below is plain Python over rows: it reads each cell as its field's type, folds
category spellings, applies the rules in their order and de-duplicates by the key,
without polars. Hypothesis draws the contract (types, required, bounds, allowed values,
key, date order) and a table of valid, invalid, blank and duplicated values written the
ways business tables write them.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.agents.processing.generic_helpers import process_table

TYPES = ("money", "decimal", "integer", "date", "boolean", "category", "id", "string")
WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False,
         "t": True, "f": False, "on": True, "off": False, "1": True, "0": False}  # fmt: skip
CATEGORIES = ("Home Goods", "Toys", "Books")


# --- the scalar spec -------------------------------------------------------------------


def spec_value(kind: str, scale: int, order: str, text: str) -> Any:  # noqa: PLR0911
    """The typed value of a trimmed, non-empty cell, or ``BAD`` when it is not one."""
    if kind in ("money", "decimal"):
        m = re.fullmatch(r"(\()?\s*([$€£])?\s*(-)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(\))?", text)
        if m is None or bool(m.group(1)) != bool(m.group(6)):
            return BAD
        value = Decimal(m.group(4).replace(",", "") + (m.group(5) or ""))
        if m.group(1) or m.group(3):
            value = -value
        return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
    if kind == "integer":
        m = re.fullmatch(r"-?\d+", text)
        return int(text) if m else BAD
    if kind == "date":
        for fmt in ("%Y-%m-%d", "%m/%d/%Y" if order == "mdy" else "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                pass
        return BAD
    if kind == "boolean":
        return WORDS.get(text.lower(), BAD)
    if kind == "category":
        return " ".join(text.split())
    return text


BAD = object()


def fold(values: list[Any]) -> dict[str, str]:
    counts: Counter[str] = Counter(v for v in values if v is not None)
    first: dict[str, int] = {}
    for i, v in enumerate(values):
        if v is not None:
            first.setdefault(v, i)
    best: dict[str, str] = {}
    for v in counts:
        k = v.lower()
        b = best.get(k)
        if b is None or (counts[v], -first[v]) > (counts[b], -first[b]):
            best[k] = v
    return {v: best[v.lower()] for v in counts}


def spec(fields: list[dict[str, Any]], key: list[str], rows: list[dict[str, Any]]) -> Any:
    """(kept rows as dicts, [(rule, field or None)] per rejected row) by the rules."""
    typed: list[dict[str, Any]] = []
    bad: list[dict[str, bool]] = []
    for row in rows:
        values, broken = {}, {}
        for f in fields:
            raw = row[f["name"]]
            text = None if raw is None else raw.strip() or None
            value = None if text is None else spec_value(f["type"], f["scale"], f["order"], text)
            broken[f["name"]] = value is BAD
            values[f["name"]] = None if value is BAD else value
        typed.append(values)
        bad.append(broken)
    for f in fields:
        if f["type"] == "category":
            mapping = fold([t[f["name"]] for t in typed])
            for t in typed:
                if t[f["name"]] is not None:
                    t[f["name"]] = mapping[t[f["name"]]]
    outcome: list[Any] = []
    seen: set[tuple[Any, ...]] = set()
    for values, broken, row in zip(typed, bad, rows, strict=True):
        rule = None
        for f in fields:
            if f["required"] and (row[f["name"]] is None or not row[f["name"]].strip()):
                rule = rule or ("required", f["name"])
        for f in fields:
            if f["required"] and broken[f["name"]]:
                rule = rule or ("type", f["name"])
        for f in fields:
            v = values[f["name"]]
            if v is not None and f.get("min") is not None and v < f["min"]:
                rule = rule or ("range", f["name"])
            if v is not None and f.get("max") is not None and v > f["max"]:
                rule = rule or ("range", f["name"])
        for f in fields:
            v = values[f["name"]]
            if v is not None and f.get("allowed") is not None and v not in f["allowed"]:
                rule = rule or ("allowed", f["name"])
        if rule is None and key and all(values[k] is not None for k in key):
            ident = tuple(values[k] for k in key)
            if ident in seen:
                rule = ("duplicate", None)
            seen.add(ident)
        outcome.append(rule if rule is not None else values)
    return outcome


# --- drawing contracts and messy tables -----------------------------------------------


@st.composite
def field_specs(draw: st.DrawFn, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(TYPES))
    spec: dict[str, Any] = {"name": f"f{index}", "type": kind, "scale": 2, "order": "mdy"}
    spec["required"] = draw(st.booleans())
    if kind in ("money", "decimal"):
        spec["scale"] = draw(st.integers(0, 3))
        if draw(st.booleans()):
            spec["min"] = Decimal(draw(st.integers(-5, 5)))
    if kind == "integer" and draw(st.booleans()):
        spec["max"] = draw(st.integers(0, 50))
    if kind == "date":
        spec["order"] = draw(st.sampled_from(["mdy", "dmy"]))
    if kind == "category" and draw(st.booleans()):
        spec["allowed"] = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, unique=True))
    return spec


def contract_of(fields: list[dict[str, Any]], key: list[str]) -> dict[str, Any]:
    out = []
    for f in fields:
        entry: dict[str, Any] = {"name": f["name"], "type": f["type"], "required": f["required"]}
        if f["type"] in ("money", "decimal"):
            entry["scale"] = f["scale"]
        if f["type"] == "date":
            entry["date_order"] = f["order"]
        for bound in ("min", "max"):
            if f.get(bound) is not None:
                entry[bound] = int(f[bound])
        if f.get("allowed") is not None:
            entry["allowed"] = list(f["allowed"])
        out.append(entry)
    return {"fields": out, "key": key}


@st.composite
def cell(draw: st.DrawFn, f: dict[str, Any]) -> str | None:  # noqa: PLR0911
    kind = draw(st.sampled_from(["valid"] * 6 + ["blank", "none", "junk"]))
    if kind == "none":
        return None
    if kind == "blank":
        return draw(st.sampled_from(["", "  "]))
    if kind == "junk":
        return draw(st.sampled_from(["abc", "N/A", "1.2.3", "--"]))
    pad = draw(st.sampled_from(["", " ", "  "]))
    t = f["type"]
    if t in ("money", "decimal"):
        cents = draw(st.integers(-(10**6), 10**7))
        digits = draw(st.integers(0, 4))
        value = Decimal(cents).scaleb(-digits)
        text = f"{abs(value):,.{digits}f}" if draw(st.booleans()) else f"{abs(value):.{digits}f}"
        if value < 0:
            text = f"({text})" if draw(st.booleans()) else f"-{text}"
        elif t == "money" and draw(st.booleans()):
            text = draw(st.sampled_from(["$", "€", "£"])) + text
        return pad + text + pad
    if t == "integer":
        return pad + str(draw(st.integers(-100, 100))) + pad
    if t == "date":
        day = draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)))
        if draw(st.booleans()):
            return pad + day.isoformat()
        first, second = (day.month, day.day) if f["order"] == "mdy" else (day.day, day.month)
        return f"{first:02d}/{second:02d}/{day.year}" + pad
    if t == "boolean":
        word = draw(st.sampled_from(sorted(WORDS)))
        return pad + (word.upper() if draw(st.booleans()) else word)
    if t == "category":
        base = draw(st.sampled_from(CATEGORIES))
        styled = draw(st.sampled_from([base, base.lower(), base.upper(), base.replace(" ", "  ")]))
        return pad + styled + pad
    return pad + draw(st.sampled_from(["A-1", "A-2", "b 7", "Zoë"])) + pad


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    fields = [draw(field_specs(i)) for i in range(draw(st.integers(1, 5)))]
    candidates = [f["name"] for f in fields if f["type"] in ("id", "integer", "category")]
    key = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=2)) if candidates else []
    rows = [{f["name"]: draw(cell(f)) for f in fields} for _ in range(draw(st.integers(0, 25)))]
    if rows and draw(st.booleans()):
        rows.append(dict(draw(st.sampled_from(rows))))  # a row sent twice
    return fields, key, rows


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_the_contract_path_agrees_with_the_scalar_spec(
    table: tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]],
) -> None:
    fields, key, rows = table
    names = [f["name"] for f in fields]
    frame = pl.DataFrame(
        {n: [r[n] for r in rows] for n in names}, schema=dict.fromkeys(names, pl.String)
    )
    out = process_table(
        frame, task="clean and filter", params={"contract": contract_of(fields, key)}
    )
    expected = spec(fields, key, rows)
    kept = [e for e in expected if isinstance(e, dict)]
    rejected = [e for e in expected if not isinstance(e, dict)]
    assert out["records"].frame.select(names).to_dicts() == kept
    rejects = out["rejects"].frame
    assert rejects["rule"].to_list() == [r[0] for r in rejected]
    for (rule, name), reason in zip(rejected, rejects["reason"].to_list(), strict=True):
        assert name is None or repr(name) in reason, (rule, reason)
    assert len(out["records"]) + len(rejects) == len(rows)
