"""Backend benchmark: the same work through actorflow on pykka and on Ray.

- trivial-stage round trip on Ray: a trivial 3-stage run (and a 1-stage run) end to end,
  through actorflow with its agent on Ray, against the same number of sequential calls to
  a bare Ray actor, measured in the same run (alternating blocks; medians compared); the
  same runs on pykka show actorflow's own share;
- the revenue workflow (extract -> process -> insights, 1M generated rows by default) on
  the pykka backend and on Ray, checking that both give identical records and rejects.

Starts a local Ray (2 CPUs unless ``--cpus``; no dashboard). Usage:
``python benchmarks/backends.py [--runs N] [--rows N] [--cpus N] [--json]``.
Target (issue 6): the Ray round trip <= 1.5x the bare Ray actor call.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import ray  # after the environment is set

from actorflow import Agent, Runtime, StageRequest, WorkflowSpec, load_workflow

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path) -> ModuleType:
    # Loaded by path: benchmarks/ is a folder of scripts, not an installed package.
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Trivial(Agent):
    def perform(self, request: StageRequest) -> Any:
        return 1


@ray.remote
class Bare:
    def work(self, message: Any) -> int:
        return 1


def chain(n: int) -> WorkflowSpec:
    stages: list[dict[str, Any]] = [{"name": "s0", "agent": "t"}]
    stages += [{"name": f"s{i}", "agent": "t", "depends_on": [f"s{i - 1}"]} for i in range(1, n)]
    return load_workflow({"name": f"trivial-{n}", "stages": stages})


def _block(fn: Callable[[], None], runs: int, warm: int = 30) -> list[float]:
    out = []
    for i in range(runs + warm):
        t0 = time.perf_counter()
        fn()
        if i >= warm:
            out.append(time.perf_counter() - t0)
    return out


def bench_round_trip(runs: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    actors = [Bare.remote() for _ in range(3)]
    ray.get([a.work.remote(None) for a in actors])
    with Runtime(backend="ray") as rt:
        rt.register_agent("t", Trivial, concurrency=3)
        for n in (3, 1):
            spec = chain(n)

            def ours(spec: WorkflowSpec = spec) -> None:
                assert rt.run(spec).status == "completed"

            def bare(n: int = n) -> None:
                for actor in actors[:n]:
                    ray.get(actor.work.remote(None))

            # Alternating blocks, so that load changes on a shared machine hit both alike.
            our_times: list[float] = []
            bare_times: list[float] = []
            for _ in range(8):
                our_times += _block(ours, runs // 8, warm=10)
                bare_times += _block(bare, runs // 8, warm=10)
            p50, b50 = statistics.median(our_times), statistics.median(bare_times)
            figures[f"ray_{n}_stage_run_p50_us"] = p50 * 1e6
            figures[f"bare_ray_{n}_calls_p50_us"] = b50 * 1e6
            figures[f"ray_{n}_stage_ratio"] = p50 / b50
            figures[f"ray_{n}_stage_per_stage_us"] = p50 * 1e6 / n
    # One more stage in a run against one more bare call: the stage round trip itself,
    # without the run's own start and end.
    marginal = (figures["ray_3_stage_run_p50_us"] - figures["ray_1_stage_run_p50_us"]) / 2
    bare_one = (figures["bare_ray_3_calls_p50_us"] - figures["bare_ray_1_calls_p50_us"]) / 2
    figures["ray_stage_marginal_us"] = marginal
    figures["bare_call_marginal_us"] = bare_one
    figures["ray_stage_marginal_ratio"] = marginal / bare_one
    for actor in actors:
        ray.kill(actor)
    # actorflow's own cost for the same runs, with no process boundary at all.
    with Runtime() as rt:
        rt.register_agent("t", Trivial, concurrency=3)
        for n in (3, 1):
            spec = chain(n)
            times = _block(lambda spec=spec: rt.run(spec) and None, runs)
            figures[f"pykka_{n}_stage_run_p50_us"] = statistics.median(times) * 1e6
    return figures


@contextlib.contextmanager
def _timed(figures: dict[str, float], key: str) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    figures[key] = time.perf_counter() - t0


def bench_revenue(rows: int) -> dict[str, Any]:
    data_module = _load("_bench_data", HERE / "_data.py")
    reference = _load("_bench_actorflow_run", HERE / "references" / "actorflow_run.py")
    figures: dict[str, Any] = {"rows": rows}
    outputs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="backends-bench-") as tmp:
        data = Path(tmp) / f"revenue_{rows}.csv"
        data_module.generate_revenue_csv(data, rows, seed=data_module.DEFAULT_SEED)
        for backend in ("pykka", "ray"):
            with Runtime(backend=backend) as rt:  # type: ignore[arg-type]
                with _timed(figures, f"{backend}_setup_s"):
                    with_insights = reference.register(rt)
                spec = reference.workflow(data, with_insights)
                with _timed(figures, f"{backend}_run_s"):
                    result = rt.run(spec, timeout=3600)
                if not result.ok:
                    raise SystemExit(f"{backend}: run {result.status}: {result.error}")
                processed = result.output("process")
                outputs[backend] = (processed["records"], processed["rejects"])
                figures[f"{backend}_stage_s"] = {
                    name: round(o.duration_s, 3) for name, o in result.stages.items()
                }
    figures["ray_vs_pykka_run"] = figures["ray_run_s"] / figures["pykka_run_s"]
    figures["identical"] = outputs["ray"] == outputs["pykka"]
    figures["records_out"] = len(outputs["pykka"][0])
    return figures


def _start_ray(cpus: int) -> None:
    # Ray puts the driver's working directory first on its workers' sys.path: from this
    # repository's root its actorflow/ folder would shadow the installed package.
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="ray-driver-") as neutral:
        os.chdir(neutral)
        try:
            ray.init(
                address="local",
                num_cpus=cpus,
                include_dashboard=False,
                logging_level="ERROR",
                log_to_driver=False,
            )
        finally:
            os.chdir(cwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=800, help="runs per round-trip measure")
    parser.add_argument("--rows", type=int, default=1_000_000, help="revenue rows (0: skip)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    _start_ray(args.cpus)
    try:
        figures: dict[str, Any] = {"ray_version": ray.__version__, "ray_cpus": args.cpus}
        figures |= bench_round_trip(args.runs)
        if args.rows:
            figures["revenue"] = bench_revenue(args.rows)
    finally:
        ray.shutdown()
    if args.json:
        print(json.dumps(figures))
        return
    revenue = figures.pop("revenue", None)
    print(f"{'measure':32} {'value':>12}")
    for key, value in figures.items():
        shown = f"{value:12.2f}" if isinstance(value, float) else f"{value!s:>12}"
        print(f"{key:32} {shown}")
    print()
    print(
        f"3-stage run on Ray  {figures['ray_3_stage_ratio']:.2f}x three bare Ray actor calls "
        f"(target <= 1.5x); 1-stage run {figures['ray_1_stage_ratio']:.2f}x one call; "
        f"one more stage {figures['ray_stage_marginal_ratio']:.2f}x one more call"
    )
    if revenue is not None:
        print()
        print(f"revenue workflow, {revenue['rows']:,} rows ({revenue['records_out']:,} kept)")
        for backend in ("pykka", "ray"):
            print(
                f"  {backend:6} run {revenue[f'{backend}_run_s']:7.2f} s   "
                f"set-up {revenue[f'{backend}_setup_s']:5.2f} s   "
                f"stages {revenue[f'{backend}_stage_s']}"
            )
        print(
            f"  Ray / pykka run time {revenue['ray_vs_pykka_run']:.2f}x; records and rejects "
            f"{'identical' if revenue['identical'] else 'DIFFER'}"
        )


if __name__ == "__main__":
    main()
