"""The revenue pipeline through actorflow: extract -> process -> insights on a real runtime.

Same interface as the reference scripts: ``python actorflow_run.py INPUT.csv OUTDIR``
writes ``records.csv``, ``rejects.csv`` and ``aggregates.json`` and prints one JSON line.
The records and rejects are the processing stage's own outputs, written as they are; the
aggregates are formatted like the references' from those records, and checked against the
insights stage's totals so the insights agent is held to the same numbers.
"""

from __future__ import annotations

import json
import os
import sys
import time

_T0 = time.perf_counter()

from decimal import Decimal  # noqa: E402  # the clock starts before imports, as in the others
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import polars as pl  # noqa: E402

from actorflow import Runtime  # noqa: E402
from actorflow.agents.extraction import ExtractionAgent  # noqa: E402
from actorflow.agents.processing import ProcessingAgent  # noqa: E402

RECORD_COLUMNS = [
    "id", "podcast_name", "revenue", "impressions", "rpm", "date", "month_year", "currency",
    "source",
]  # fmt: skip
INPUT_COLUMNS = ["id", "podcast_name", "revenue", "impressions", "date", "currency", "source"]
#: Set by ``pipeline.py --spill-over-mb`` / ``--slice-rows``: the extractor's and the
#: processor's params of those names (absent: their defaults).
SPILL_ENV, SLICE_ENV = "ACTORFLOW_BENCH_SPILL_OVER_MB", "ACTORFLOW_BENCH_SLICE_ROWS"


def tuning(name: str, env: str, kind: type[float] | type[int]) -> dict[str, Any]:
    value = os.environ.get(env)
    return {} if value is None else {name: kind(value)}


def workflow(path: Path, with_insights: bool) -> dict[str, Any]:
    stages: list[dict[str, Any]] = [
        {
            "name": "extract",
            "agent": "extractor",
            # The file has its own "source" column: extraction's goes elsewhere.
            "params": {
                "sources": [{"type": "file", "name": "input", "path": str(path)}],
                "source_column": "_extracted_from",
                **tuning("spill_over_mb", SPILL_ENV, float),
            },
            "timeout_s": 3600,
        },
        {
            "name": "process",
            "agent": "processor",
            "task": "clean, normalize, calculate and filter",
            "depends_on": ["extract"],
            "params": tuning("slice_rows", SLICE_ENV, int),
            "timeout_s": 3600,
        },
    ]
    if with_insights:
        stages.append(
            {"name": "insights", "agent": "insights", "depends_on": ["process"], "timeout_s": 3600}
        )
    return {"name": "revenue-benchmark", "stages": stages}


def write_csv(records: pl.LazyFrame, path: Path) -> None:
    """CSV as the references write it: an empty string and null both print as nothing.

    (The csv module, and so the plain-Python reference, cannot tell them apart; a
    currency of spaces normalizes to "".) Streamed: records on disk are written a batch
    at a time, never held whole.
    """
    strings = [name for name, dtype in records.collect_schema().items() if dtype == pl.String]
    records.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in strings
    ).sink_csv(path)


def cents_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def rpm_cents(cents: int, impressions: int) -> int:
    quotient, remainder = divmod(cents * 1000, impressions)
    if 2 * remainder > impressions or (2 * remainder == impressions and quotient % 2 == 1):
        quotient += 1
    return quotient


def aggregates(records: pl.LazyFrame) -> dict[str, Any]:
    cents = (pl.col("revenue") * 100).cast(pl.Int128)
    kept = records.select(
        cents.alias("cents"),
        pl.col("impressions").cast(pl.Int64),
        "month_year",
        "podcast_name",
    ).collect()
    total_cents = int(kept["cents"].sum() or 0)
    total_impressions = int(kept["impressions"].sum() or 0)
    by_month = (
        kept.group_by("month_year")
        .agg(pl.col("cents").sum(), pl.len().alias("count"))
        .sort("month_year", nulls_last=True)
    )
    by_name = (
        kept.group_by("podcast_name")
        .agg(pl.col("cents").sum())
        .sort(["cents", "podcast_name"], descending=[True, False])
    )
    return {
        "record_count": kept.height,
        "total_revenue": cents_str(total_cents),
        "total_impressions": total_impressions,
        "overall_rpm": (
            cents_str(rpm_cents(total_cents, total_impressions)) if total_impressions else None
        ),
        "revenue_by_month_year": [
            {"month_year": m, "revenue": cents_str(int(c)), "count": n}
            for m, c, n in by_month.iter_rows()
        ],
        "revenue_by_podcast_name": [
            {"podcast_name": n, "revenue": cents_str(int(c))} for n, c in by_name.iter_rows()
        ],
    }


def register(rt: Runtime) -> bool:
    rt.register_agent("extractor", ExtractionAgent)
    rt.register_agent("processor", ProcessingAgent)
    try:
        from actorflow.agents.insights import InsightsAgent
    except ImportError:
        return False
    rt.register_agent("insights", InsightsAgent)
    return True


def run(path: Path, out_dir: Path) -> dict[str, Any]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with Runtime() as rt:
        with_insights = register(rt)
        # Only what is written out stays in the result: the extracted table is let go
        # once the processor is done with it.
        keep = ["process", "insights"] if with_insights else ["process"]
        result = rt.run(workflow(path, with_insights), keep_outputs=keep)
    if not result.ok:
        raise SystemExit(f"run {result.status}: {result.error}")
    processed = result.output("process")
    # Lazy: a big input was read to disk, and so were the processed records.
    records = processed["records"].lazy().select(RECORD_COLUMNS)
    rejects = processed["rejects"].lazy().select([*INPUT_COLUMNS, "rule", "reason"])
    write_csv(records, out_dir / "records.csv")
    write_csv(rejects, out_dir / "rejects.csv")
    doc = aggregates(records)
    if with_insights:
        check_insights(result.output("insights"), doc)
    (out_dir / "aggregates.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    kept, rejected = len(processed["records"]), len(processed["rejects"])
    return {"rows_in": kept + rejected, "rows_out": kept, "rejects": rejected,
            "on_disk": processed["records"].on_disk}  # fmt: skip


def check_insights(insights: Any, doc: dict[str, Any]) -> None:
    """The insights stage must report the same total revenue and count."""
    summary = insights["summary"]
    total = summary.get("total_revenue")
    count = summary.get("record_count", summary.get("records"))
    if total is not None and Decimal(str(total)) != Decimal(doc["total_revenue"]):
        raise SystemExit(f"insights total {total} != records total {doc['total_revenue']}")
    if count is not None and int(count) != doc["record_count"]:
        raise SystemExit(f"insights count {count} != records {doc['record_count']}")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: actorflow_run.py INPUT.csv OUTDIR")
    stats = run(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({**stats, "seconds": round(time.perf_counter() - _T0, 3)}))


if __name__ == "__main__":
    main()
