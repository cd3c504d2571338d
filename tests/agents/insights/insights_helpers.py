"""Workflows and an independent plain-Python computation for the insights tests."""

from __future__ import annotations

import decimal
import importlib.util
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from actorflow import Agent, Runtime, StageRequest
from actorflow.agents.extraction import ExtractionAgent
from actorflow.agents.insights import InsightsAgent
from actorflow.agents.processing import ProcessingAgent
from actorflow.contracts import Records

REPO = Path(__file__).resolve().parents[3]
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
ALL_FOUR = ["cleaning", "normalization", "calculations", "filtering"]
# Wide enough for any sum of Decimal(38, 2) amounts the tests make.
EXACT = decimal.Context(prec=80, rounding=ROUND_HALF_EVEN)


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_insights_bench_data", REPO / "benchmarks" / "_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load_generator()


def messy_csvs(folder: Path, rows: int = 500, seed: int = 5) -> list[Path]:
    """Two seeded messy revenue CSVs, ``audiomax`` and ``acast`` (two sources)."""
    return [
        generator.generate_revenue_csv(folder / f"{name}.csv", n, seed=seed + i, sources=(name,))
        for i, (name, n) in enumerate((("audiomax", rows), ("acast", rows // 2)))
    ]


def revenue_workflow(
    csvs: list[Path], *, insights_params: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """extract -> process (all four operations) -> insights."""
    return {
        "name": "revenue",
        "stages": [
            {"name": "extract", "agent": "extractor",
             "params": {"sources": [{"type": "file", "path": str(c)} for c in csvs]}},
            {"name": "process", "agent": "processor", "depends_on": ["extract"],
             "params": {"operations": ALL_FOUR}},
            {"name": "insights", "agent": "insights", "depends_on": ["process"],
             "params": dict(insights_params or {})},
        ],
    }  # fmt: skip


def register(runtime: Runtime, insights: Any = InsightsAgent) -> None:
    runtime.register_agent("extractor", ExtractionAgent)
    runtime.register_agent("processor", ProcessingAgent)
    runtime.register_agent("insights", insights)


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_EVEN))


def share(part: Decimal, whole: Decimal) -> str:
    return str((part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_EVEN))


def expected_summary(records: Iterable[Mapping[str, Any]], top_n: int = 5) -> dict[str, Any]:
    """The figures the insights must show, with nothing but Decimal and dicts."""
    with decimal.localcontext(EXACT):
        rows = list(records)
        total = sum((r["revenue"] for r in rows), Decimal(0))
        impressions = sum(r["impressions"] or 0 for r in rows)
        months: dict[str | None, list[Any]] = {}
        names: dict[str | None, Decimal] = {}
        sources: dict[str | None, Decimal] = {}
        for r in rows:
            entry = months.setdefault(r["month_year"], [Decimal(0), 0])
            entry[0] += r["revenue"]
            entry[1] += 1
            names[r["podcast_name"]] = names.get(r["podcast_name"], Decimal(0)) + r["revenue"]
            sources[r["source"]] = sources.get(r["source"], Decimal(0)) + r["revenue"]

        def ranked(groups: dict[str | None, Decimal]) -> list[tuple[str, str, str]]:
            named = [(k, v) for k, v in groups.items() if k]
            named.sort(key=lambda kv: (-kv[1], kv[0]))
            return [(k, cents(v), share(v, total)) for k, v in named]

        order = sorted(months, key=lambda m: (m is None, m or ""))
        return {
            "record_count": len(rows),
            "total_revenue": cents(total),
            "average_revenue": cents(total / len(rows)),
            "total_impressions": impressions,
            "overall_rpm": cents(total * 1000 / impressions),
            "periods": [(m, cents(months[m][0]), months[m][1]) for m in order],
            "podcasts": ranked(names)[:top_n],
            "sources": ranked(sources),
        }


def period_change(records: Iterable[Mapping[str, Any]], month: str) -> tuple[str, str, str]:
    """(previous month with records, change, change %) for ``month``."""
    totals: dict[str, Decimal] = {}
    for r in records:
        if r["month_year"]:
            totals[r["month_year"]] = totals.get(r["month_year"], Decimal(0)) + r["revenue"]
    before = max(m for m in totals if m < month)
    change = totals[month] - totals[before]
    return before, cents(change), share(change, totals[before])


class FloatRecords(Agent):
    """Returns records whose revenue is a float column: what the insights must refuse."""

    def perform(self, request: StageRequest) -> dict[str, Any]:
        return {"records": Records(pl.DataFrame({"id": ["1"], "revenue": [1.5]}))}
