"""Contract-driven processing benchmark: the processor against a hand-written polars script.

Generates a seeded messy sales-orders CSV (order_id, order_date, customer, category,
amount, quantity, country: case and space variants of categories, currency symbols,
thousands separators, missing amounts, duplicated orders) and, each in a process of its
own, (a) the processor's contract-driven path on it with no declared contract (inference,
typing, category folding, de-duplication) and (b) a polars script of the same contract.
Both write their kept records to Parquet; the records are checked equal. Prints wall
time and peak RSS of each child (``os.wait4``) and the ratios.

Usage: ``python benchmarks/generic_processing.py [--rows N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ["Home Goods", " home  goods", "HOME GOODS", "Toys", "toys ", "Books", "books"]
COUNTRIES = ["US", "DE", "FR", "GB"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A seeded messy sales-orders CSV of ``rows`` rows (1% of orders sent twice)."""
    rng = np.random.default_rng(seed)
    cents = rng.integers(100, 500_000, rows)
    amount = pl.Series(cents).cast(pl.Decimal(38, 0)).cast(pl.String)
    frame = pl.DataFrame(
        {
            "order_id": [f"ORD-{i:08d}" for i in range(rows)],
            "order_date": pl.date_range(pl.date(2023, 1, 1), pl.date(2024, 12, 31), eager=True)
            .sample(rows, with_replacement=True, seed=seed)
            .dt.strftime("%Y-%m-%d"),
            "customer": [f"customer {i}" for i in rng.integers(0, 50_000, rows)],
            "category": [CATEGORIES[i] for i in rng.integers(0, len(CATEGORIES), rows)],
            "amount": amount,
            "quantity": rng.integers(1, 10, rows).astype(str),
            "country": [COUNTRIES[i] for i in rng.integers(0, len(COUNTRIES), rows)],
        }
    )
    dollars = frame["amount"].str.slice(0, frame["amount"].str.len_chars() - 2)
    money = pl.concat_str(
        pl.when(pl.Series(rng.random(rows) < 0.3)).then(pl.lit("$")).otherwise(pl.lit("")),
        dollars.str.replace(r"^$", "0"),
        pl.lit("."),
        frame["amount"].str.slice(-2).str.zfill(2),
    )
    money = pl.select(
        pl.when(pl.Series(rng.random(rows) < 0.02)).then(pl.lit(None)).otherwise(money)
    ).to_series()
    frame = frame.with_columns(amount=money)
    frame = pl.concat([frame, frame.sample(rows // 100, seed=seed)])
    frame.write_csv(path)


PROCESSOR = """
import sys, time, polars as pl
from actorflow import StageRequest
from actorflow.agents.processing import ProcessingAgent
from actorflow.contracts import Records, StageOutcome, StageSpec
frame = pl.read_csv(sys.argv[1], infer_schema=False)
stage = StageSpec(name="process", agent="processor", task="clean", depends_on=("load",))
load = StageOutcome(stage="load", agent="t", status="succeeded", output={"records": Records(frame)})
out = ProcessingAgent().perform(StageRequest.of(stage, dependencies={"load": load}))
out["records"].frame.write_parquet(sys.argv[2])
"""

SCRIPT = """
import sys, polars as pl
frame = pl.read_csv(sys.argv[1], infer_schema=False)
t = lambda c: pl.col(c).str.strip_chars()
typed = frame.select(
    t("order_id").alias("order_id"),
    t("order_date").str.to_date("%Y-%m-%d", strict=False).alias("order_date"),
    t("customer").alias("customer"),
    t("category").str.replace_all(r"\\s+", " ").alias("category"),
    t("amount").str.replace_all(r"[$,]", "").cast(pl.Decimal(38, 2), strict=False).alias("amount"),
    t("quantity").cast(pl.Int64, strict=False).alias("quantity"),
    t("country").alias("country"),
)
spell = (typed.with_row_index("i").group_by("category").agg(n=pl.len(), first=pl.col("i").min())
         .with_columns(k=pl.col("category").str.to_lowercase())
         .sort(["k", "n", "first"], descending=[False, True, False])
         .group_by("k", maintain_order=True).agg(c=pl.col("category").first()))
typed = (typed.with_columns(k=pl.col("category").str.to_lowercase()).join(spell, on="k", how="left")
         .with_columns(category=pl.col("c")).drop("k", "c"))
typed = typed.filter(pl.col("order_id").is_first_distinct())
typed.write_parquet(sys.argv[2])
"""


def run_child(code: str, *args: str) -> tuple[float, int]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"child failed with {proc.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        csv = base / "sales.csv"
        generate(csv, options.rows)
        results = {}
        for name, code in (("polars_script", SCRIPT), ("processor", PROCESSOR)):
            wall, rss = run_child(code, str(csv), str(base / f"{name}.parquet"))
            results[name] = {"wall_s": round(wall, 3), "peak_rss_mib": round(rss / 2**20, 1)}
        ours = pl.read_parquet(base / "processor.parquet")
        theirs = pl.read_parquet(base / "polars_script.parquet")
        assert ours.equals(theirs), (ours.head(), theirs.head())
        results["ratio"] = {
            "wall": round(results["processor"]["wall_s"] / results["polars_script"]["wall_s"], 2),
            "rss": round(
                results["processor"]["peak_rss_mib"] / results["polars_script"]["peak_rss_mib"], 2
            ),
        }
        results["rows"] = {"input": options.rows + options.rows // 100, "kept": ours.height}
    print(json.dumps(results, indent=2) if options.json else results)


if __name__ == "__main__":
    main()
