"""Revenue pipeline benchmark: actorflow against plain Python, pandas and polars.

Generates a seeded messy revenue CSV of N rows, runs each implementation in a process of
its own (``benchmarks/references/*.py``; actorflow's is ``actorflow_run.py``: extract ->
process -> insights on a real runtime), checks that every one writes byte-identical
records, rejects and aggregates, and prints wall time, peak memory (RSS of the child,
from ``os.wait4``), rows/s and ratios against the polars script and pandas.

Usage: ``python benchmarks/pipeline.py [--rows N] [--only NAME ...] [--json]``.
Targets (1M rows): actorflow <= 1.3x the polars script's wall time and peak memory and
>= 4x faster than pandas; ``--rows 10000000 --only actorflow_run`` peaks <= 2 GiB (its
618 MiB input is over the extractor's ``spill_over_mb``, so it is processed on disk).
``--spill-over-mb`` and ``--slice-rows`` set those params of the actorflow run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> ModuleType:
    # Loaded by path: benchmarks/ is a folder of scripts, not an installed package.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


compare = _load("_bench_compare", HERE / "references" / "compare.py")
NAMES = ("actorflow_run", *compare.REFERENCES)


def ratios(results: list[Any]) -> dict[str, float]:
    by = {r.name: r for r in results if r.exit_code == 0}
    out: dict[str, float] = {}
    ours = by.get("actorflow_run")
    if ours is None:
        return out
    if "polars_ref" in by:
        out["wall_vs_polars"] = ours.wall_seconds / by["polars_ref"].wall_seconds
        out["peak_vs_polars"] = ours.peak_rss_mib / by["polars_ref"].peak_rss_mib
    if "pandas_ref" in by:
        out["speedup_vs_pandas"] = by["pandas_ref"].wall_seconds / ours.wall_seconds
    if "plain_python" in by:
        out["speedup_vs_plain_python"] = by["plain_python"].wall_seconds / ours.wall_seconds
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--only", nargs="+", choices=NAMES, help="run a subset")
    parser.add_argument("--keep", type=Path, help="keep data and outputs here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--spill-over-mb", type=float, help="the extractor's spill_over_mb")
    parser.add_argument("--slice-rows", type=int, help="the processor's slice_rows")
    args = parser.parse_args(argv)
    # The actorflow run reads these from its environment (see actorflow_run.py).
    if args.spill_over_mb is not None:
        os.environ["ACTORFLOW_BENCH_SPILL_OVER_MB"] = str(args.spill_over_mb)
    if args.slice_rows is not None:
        os.environ["ACTORFLOW_BENCH_SLICE_ROWS"] = str(args.slice_rows)
    data_module = compare.load_data_module()
    seed = args.seed if args.seed is not None else data_module.DEFAULT_SEED
    names = [n for n in NAMES if (not args.only or n in args.only)]
    if "pandas_ref" in names and "pandas_ref" not in compare.available_references():
        names.remove("pandas_ref")  # pandas is an optional bench dependency
    with tempfile.TemporaryDirectory(prefix="revenue-bench-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        data = root / f"revenue_{args.rows}.csv"
        start = time.perf_counter()
        data_module.generate_revenue_csv(data, args.rows, seed=seed)
        generated = time.perf_counter() - start
        results = [compare.run_reference(name, data, root / name) for name in names]
        ok = [r.name for r in results if r.exit_code == 0]
        problems = [f"{r.name}: exit code {r.exit_code}" for r in results if r.exit_code]
        problems += [f"{r.name}: rows_in != rows_out + rejects" for r in results if not r.balanced]
        if len(ok) > 1:
            problems += compare.compare_outputs(ok[0], ok[1:], root)
    figures = ratios(results)
    for r in results:
        if r.exit_code == 0 and r.wall_seconds:
            figures[f"{r.name}_rows_per_s"] = r.rows_in / r.wall_seconds
    if args.json:
        doc = {
            "rows": args.rows,
            "seed": seed,
            "results": [asdict(r) for r in results],
            "ratios": figures,
            "identical": not problems,
            "problems": problems,
        }
        print(json.dumps(doc))
        return 0 if not problems else 1
    print(f"revenue pipeline, {args.rows:,} generated rows (seed {seed}, {generated:.1f} s)")
    compare.print_table(results)
    print()
    for key, value in figures.items():
        print(f"{key:32} {value:12.2f}")
    print()
    print("outputs identical" if not problems else "DIFFERENCES:")
    for problem in problems:
        print(f"  {problem}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
