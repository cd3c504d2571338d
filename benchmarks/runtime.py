"""Runtime benchmark: latency, throughput and event cost, each against a baseline
measured in the same run.

- latency of a trivial 3-stage run end to end (p50, p99) against three sequential pykka
  ``ask``s of the same trivial work;
- throughput of trivial 3-stage runs with 100 in flight;
- cost of one progress event (an agent's ``report_progress`` through the hub to one
  blinker subscriber) against a bare blinker ``send`` to one receiver.

Usage: ``python benchmarks/runtime.py [--runs N] [--json]``. Targets (issue): p50 <= 3x
the pykka baseline, >= 2,000 runs/s, event <= 3x blinker.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

import blinker
import pykka

from actorflow import Agent, Runtime, StageRequest, WorkflowSpec, load_workflow, signals
from actorflow.bus import EventHub
from actorflow.bus.machinery import ProgressReporter, RunProgress


class Trivial(Agent):
    def perform(self, request: StageRequest) -> Any:
        return 1


class TrivialActor(pykka.ThreadingActor):
    def on_receive(self, message: Any) -> Any:
        return 1


SPEC: WorkflowSpec = load_workflow(
    {
        "name": "trivial",
        "stages": [
            {"name": "a", "agent": "t"},
            {"name": "b", "agent": "t", "depends_on": ["a"]},
            {"name": "c", "agent": "t", "depends_on": ["b"]},
        ],
    }
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _block(fn: Any, runs: int) -> list[float]:
    out = []
    for i in range(runs + 200):  # the first 200 warm up threads, caches and allocators
        t0 = time.perf_counter()
        fn()
        if i >= 200:
            out.append(time.perf_counter() - t0)
    return out


def bench_latency(rt: Runtime, runs: int) -> dict[str, float]:
    actors = [TrivialActor.start() for _ in range(3)]

    def ours() -> None:
        assert rt.run(SPEC).status == "completed"

    def base() -> None:
        for actor in actors:
            actor.ask("work")

    try:
        # Alternating blocks of each, so that load changes on this shared machine hit
        # both sides alike; the medians of all blocks are compared.
        our_times: list[float] = []
        base_times: list[float] = []
        for _ in range(4):
            our_times += _block(ours, runs // 4)
            base_times += _block(base, runs // 4)
    finally:
        for actor in actors:
            actor.stop()
    p50, p99 = statistics.median(our_times), percentile(our_times, 0.99)
    b50, b99 = statistics.median(base_times), percentile(base_times, 0.99)
    return {
        "latency_p50_us": p50 * 1e6,
        "latency_p99_us": p99 * 1e6,
        "pykka_3_asks_p50_us": b50 * 1e6,
        "pykka_3_asks_p99_us": b99 * 1e6,
        "latency_p50_ratio": p50 / b50,
        "latency_p99_ratio": p99 / b99,
    }


def bench_throughput(rt: Runtime, runs: int, in_flight: int = 100) -> dict[str, float]:
    slots = threading.Semaphore(in_flight)
    all_done = threading.Event()
    remaining = [runs]
    lock = threading.Lock()
    failures = [0]

    def done(result: Any) -> None:
        if result.status != "completed":
            failures[0] += 1
        slots.release()
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                all_done.set()

    t0 = time.perf_counter()
    for _ in range(runs):
        slots.acquire()
        rt.submit(SPEC).add_done_callback(done)
    all_done.wait()
    elapsed = time.perf_counter() - t0
    assert failures[0] == 0, f"{failures[0]} runs failed"
    return {"throughput_runs_per_s": runs / elapsed, "throughput_in_flight": in_flight}


def bench_events(n: int) -> dict[str, float]:
    # Baseline: a bare blinker send to one receiver.
    signal = blinker.Signal()
    count = [0]

    def receiver(sender: str, **kw: Any) -> None:
        count[0] += 1

    signal.connect(receiver)
    payload = object()
    t0 = time.perf_counter()
    for _ in range(n):
        signal.send("run", event=payload)
    blinker_s = (time.perf_counter() - t0) / n

    # Ours: report_progress -> hub (numbering, monotonic progress, history) -> the
    # subscriber's own delivery thread; timed until the subscriber has every event.
    hub = EventHub()
    got = [0]
    all_in = threading.Event()

    def subscriber(sender: str, *, event: Any) -> None:
        got[0] += 1
        if got[0] == n:
            all_in.set()

    signals.stage_progress.connect(subscriber)
    try:
        reporter = ProgressReporter(hub, RunProgress("bench-run", 1), "stage")
        reporter(0.0, "warm-up")
        got[0] = 0
        t0 = time.perf_counter()
        for i in range(n):
            reporter(i / n, "working")
        emit_s = (time.perf_counter() - t0) / n
        all_in.wait(60)
        delivered_s = (time.perf_counter() - t0) / n
    finally:
        signals.stage_progress.disconnect(subscriber)
        hub.close()
    return {
        "event_emit_us": emit_s * 1e6,
        "event_delivered_us": delivered_s * 1e6,
        "blinker_send_us": blinker_s * 1e6,
        "event_emit_ratio": emit_s / blinker_s,
        "event_delivered_ratio": delivered_s / blinker_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="runs per measurement")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with Runtime() as rt:
        rt.register_agent("t", Trivial, concurrency=4)
        figures |= bench_latency(rt, args.runs)
        figures |= bench_throughput(rt, max(args.runs, 5000))
    figures |= bench_events(args.events)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{'measure':32} {'value':>12}")
    for key, value in figures.items():
        print(f"{key:32} {value:12.2f}")
    print()
    print(f"p50 latency ratio  {figures['latency_p50_ratio']:.2f}x pykka (target <= 3x)")
    print(f"throughput         {figures['throughput_runs_per_s']:.0f} runs/s (target >= 2000)")
    print(
        f"event cost ratio   {figures['event_emit_ratio']:.2f}x blinker emit-side, "
        f"{figures['event_delivered_ratio']:.2f}x delivered (target <= 3x)"
    )


if __name__ == "__main__":
    main()
