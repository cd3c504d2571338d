"""Every benchmark runs end to end on a small load and prints its figures as one JSON
object, so none of them rots. Figures are checked for shape, never for speed: these
machines are shared, and the benchmarks themselves report the ratios."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_benchmark(name: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # not the repository: what the process writes stays in tmp_path
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_runtime_benchmark_measures_latency_throughput_and_events(tmp_path: Path) -> None:
    figures = run_benchmark("runtime.py", tmp_path, "--runs", "30", "--events", "2000")
    for key in (
        "latency_p50_us",
        "pykka_3_asks_p50_us",
        "latency_p50_ratio",
        "throughput_runs_per_s",
        "event_delivered_us",
        "blinker_send_us",
        "event_delivered_ratio",
    ):
        assert positive(figures[key]), (key, figures)
    ratio = figures["latency_p50_us"] / figures["pykka_3_asks_p50_us"]
    assert figures["latency_p50_ratio"] == pytest.approx(ratio)


def test_pipeline_benchmark_runs_every_implementation_and_they_agree(tmp_path: Path) -> None:
    figures = run_benchmark("pipeline.py", tmp_path, "--rows", "3000")
    assert figures["identical"] is True, figures["problems"]
    by_name = {result["name"]: result for result in figures["results"]}
    assert set(by_name) == {"actorflow_run", "plain_python", "pandas_ref", "polars_ref"}
    for result in by_name.values():
        assert result["exit_code"] == 0
        assert result["rows_in"] == 3000
        assert result["rows_out"] + result["rejects"] == 3000
        assert positive(result["wall_seconds"]) and positive(result["peak_rss_mib"])
    for key in ("wall_vs_polars", "peak_vs_polars", "speedup_vs_pandas"):
        assert positive(figures["ratios"][key]), key


def test_api_benchmark_loads_the_server_and_its_baseline(tmp_path: Path) -> None:
    figures = run_benchmark(
        "api.py", tmp_path, "--seconds", "0.3", "--runs", "3", "--concurrency", "4"
    )
    for load in ("baseline", "status_idle", "status_busy"):
        assert figures[load]["errors"] == 0, figures[load]
        assert figures[load]["requests"] > 0
        assert positive(figures[load]["p99_ms"])
    assert positive(figures["ratios"]["busy_rps_vs_baseline"])
    assert figures["runs_executing_at_end"] == 3


@pytest.mark.ray
@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray")
def test_backends_benchmark_runs_both_backends_and_they_agree(tmp_path: Path) -> None:
    # Its own local Ray, in its own process: the Ray suite's session Ray is elsewhere.
    figures = run_benchmark("backends.py", tmp_path, "--runs", "20", "--rows", "3000")
    for key in ("ray_3_stage_run_p50_us", "bare_ray_3_calls_p50_us", "ray_3_stage_ratio"):
        assert positive(figures[key]), (key, figures)
    assert figures["revenue"]["identical"] is True, figures["revenue"]


def test_cache_benchmark_runs_twice_and_the_second_run_comes_from_the_cache(
    tmp_path: Path,
) -> None:
    figures = run_benchmark("cache.py", tmp_path, "--rows", "2000")
    assert figures["first"]["cached"] == []
    assert figures["second"]["cached"] == ["extract", "process", "insights"]
    assert figures["second"]["records"] == figures["first"]["records"] > 0
    assert positive(figures["second_share"])
