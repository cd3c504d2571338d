"""Stage caching benchmark: the revenue workflow run twice with every stage cached.

Generates the seeded messy revenue CSV (``benchmarks/_data.py``), then runs extract ->
process -> insights with ``cache = true`` on every stage, twice, each time in a new
runtime and a new ``RunStore`` on one file (as two ``actorflow run`` invocations would):
the first run executes every stage and stores the cache entries; the second finds every
stage in the cache. Prints each run's wall time (submit to result, and with the store
closed, so its writes are counted) and the second's share of the first.

Usage: ``python benchmarks/cache.py [--rows N] [--json]``. Target (1M rows): the second
run takes <= 15% of the first's wall time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from actorflow import Runtime
from actorflow.store import RunStore

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


data = _load("_bench_data", HERE / "_data.py")
reference = _load("_bench_actorflow_run", HERE / "references" / "actorflow_run.py")


def cached_workflow(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = reference.workflow(path, with_insights=True)
    workflow["stages"] = [{**stage, "cache": True} for stage in workflow["stages"]]
    return workflow


def one_run(db: Path, workflow: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    with RunStore(db) as store, Runtime() as rt:
        if not reference.register(rt):
            raise SystemExit("the insights agent is not installed")
        store.attach(rt)
        result = rt.run(workflow, keep_outputs=["process", "insights"])
        ran = time.perf_counter() - t0
    total = time.perf_counter() - t0
    if not result.ok:
        raise SystemExit(f"run {result.status}: {result.error}")
    with RunStore(db) as store:
        detail = store.get_run(result.run_id)
    assert detail is not None
    return {
        "run_s": round(ran, 3),
        "with_store_closed_s": round(total, 3),
        "cached": [s.stage for s in detail.stages if s.cached],
        "records": len(result.output("process")["records"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="actorflow-cache-bench-") as tmp:
        root = Path(tmp)
        csv = data.generate_revenue_csv(root / "revenue.csv", args.rows)
        workflow = cached_workflow(csv)
        first = one_run(root / "runs.db", workflow)
        second = one_run(root / "runs.db", workflow)
    share = second["with_store_closed_s"] / first["with_store_closed_s"]
    report = {"rows": args.rows, "first": first, "second": second, "second_share": share}
    if args.json:
        print(json.dumps(report))
    else:
        for name in ("first", "second"):
            r = report[name]
            print(f"{name:>6}: {r['run_s']:.2f}s run, {r['with_store_closed_s']:.2f}s with the "
                  f"store closed; cached stages: {', '.join(r['cached']) or 'none'}")  # fmt: skip
        print(f"second / first: {share:.1%} (target <= 15%)")
    # Speed is reported, not enforced (shared machines); a second run that ran a stage
    # is a failure.
    return 0 if len(second["cached"]) == len(workflow["stages"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
