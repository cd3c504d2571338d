"""How long ``infer_contract`` takes on a messy 1M-row, 7-column sales table.

Run: ``.venv/bin/python benchmarks/infer_contract.py [rows]``. Building the table is
not timed; the inference is timed three times and the best and median are printed.
"""

from __future__ import annotations

import datetime
import statistics
import sys
import time

import numpy as np
import polars as pl

from actorflow.agents.infer import infer_contract


def sales_table(rows: int, seed: int = 7) -> pl.DataFrame:
    """Sales orders written the way exports write them, every value a string."""
    rng = np.random.default_rng(seed)
    days = [datetime.date(2023, 1, 1) + datetime.timedelta(days=int(d)) for d in range(700)]
    date_forms = [
        *(d.isoformat() for d in days),
        *(f"{d.month:02d}/{d.day:02d}/{d.year}" for d in days),
        *(f"{d.day} {d:%b} {d.year}" for d in days),
        *(f"{d:%B} {d.day}, {d.year}" for d in days),
    ]
    customers = [f"Customer {i}" for i in range(5000)]
    customers += [c.lower() + " " for c in customers]
    categories = ["Electronics", "electronics", " Toys", "TOYS", "Books", "Home  Garden", "Food"]
    countries = ["US", "FR", "DE", "GB", "JP", "us", "Fr", "ES", "IT", "NL"]
    cents = rng.integers(0, 500_000, rows)
    marks = rng.integers(0, 5, rows)
    amount = (
        pl.DataFrame({"c": cents, "m": marks})
        .select(
            number=pl.format(
                "{}.{}",
                (pl.col("c") // 100).cast(pl.String),
                (pl.col("c") % 100).cast(pl.String).str.zfill(2),
            ),
            m=pl.col("m"),
        )
        .select(
            pl.when(pl.col("m") == 0)
            .then(pl.concat_str(pl.lit("$"), "number"))
            .when(pl.col("m") == 1)
            .then(pl.concat_str("number", pl.lit(" €")))
            .when(pl.col("m") == 2)
            .then(pl.concat_str(pl.lit("USD "), "number"))
            .when(pl.col("m") == 3)
            .then(pl.concat_str(pl.lit(" "), "number", pl.lit(" ")))
            .otherwise(pl.lit(""))
        )
        .to_series()
    )
    quantity = pl.Series(rng.integers(1, 50, rows)).cast(pl.String)
    order_ids = pl.Series(np.arange(rows)).cast(pl.String).str.zfill(7)
    order_ids = pl.select(pl.concat_str(pl.lit("SO-"), order_ids)).to_series()
    return pl.DataFrame(
        {
            "order_id": order_ids,
            "order_date": pl.Series(date_forms)[rng.integers(0, len(date_forms), rows)],
            "customer": pl.Series(customers)[rng.integers(0, len(customers), rows)],
            "category": pl.Series(categories)[rng.integers(0, len(categories), rows)],
            "amount": amount,
            "quantity": quantity.set(pl.Series(rng.random(rows) < 0.02), ""),  # type: ignore[arg-type]
            "country": pl.Series(countries)[rng.integers(0, len(countries), rows)],
        }
    )


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame = sales_table(rows)
    size = frame.estimated_size("mb")
    print(f"table: {frame.height:,} rows x {frame.width} columns, {size:.0f} MB")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = infer_contract(frame)
        times.append(time.perf_counter() - start)
    print(f"infer_contract: best {min(times):.2f} s, median {statistics.median(times):.2f} s")
    for spec, report in zip(result.contract.fields, result.fields, strict=True):
        print(f"  {spec.name}: {spec.type} ({spec.role}), {report.distinct:,} distinct")
    for finding in result.findings:
        print(f"  finding: {finding.field}: {finding.message}")


if __name__ == "__main__":
    main()
