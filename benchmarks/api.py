"""Web API benchmark: status requests per second and p99 latency while 50 runs execute.

Measured in one process run, each against a baseline from the same run:

- baseline: a bare aiohttp handler returning a constant JSON body, a status answer of a
  run under way (what aiohttp itself costs on this machine);
- status, idle: ``GET /v1/workflows/{id}/status`` of finished runs (larger answers: they
  carry results), nothing running;
- status, 50 runs executing: the same route on the 50 runs while they execute (held in
  their processing stage, each reporting progress every 50 ms, so ~1,000 events/s flow
  through the event hub into the service meanwhile).

The server runs here; the client load comes from a subprocess (this script with
``--load``): ``--concurrency`` keep-alive connections, each sending its next request
when the last one answered, for ``--seconds``. Loopback only; bounded in count and time.

Usage: ``python benchmarks/api.py [--seconds 3] [--concurrency 16] [--runs 50] [--json]``.
Targets (issue): >= 1,000 requests/s and p99 <= 50 ms for status while 50 runs execute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from actorflow import Agent, Records, Runtime, StageRequest
from actorflow.agents.extraction import ExtractionAgent
from actorflow.store import RunStore
from actorflow.web import Settings, create_app

MAX_REQUESTS = 200_000  # a hard bound on one load, whatever --seconds says
TARGET_RPS = 1_000
TARGET_P99_MS = 50.0
RECORDS = [
    {"id": str(i), "podcast_name": f"show {i % 7}", "revenue": f"{i}.50", "date": "2024-05-01"}
    for i in range(20)
]


class HeldProcessor(Agent):
    """Holds its stage (reporting progress) until the benchmark releases every run."""

    release = threading.Event()

    def perform(self, request: StageRequest) -> Any:
        step = 0
        while not self.release.wait(0.05):
            step += 1
            request.report_progress(min(0.9, step / 100), f"step {step}")
            request.raise_if_cancelled()
        records: Records = request.output("extraction")["records"]
        return {"records": records, "stats": {"input": len(records)}}


class Insights(Agent):
    def perform(self, request: StageRequest) -> Any:
        return {"insights": [{"sentence": "done"}]}


# -- the load generator (a subprocess) ----------------------------------------------------


async def _load(urls: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
                url = urls[i % len(urls)]
                i += concurrency
                t0 = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000,
    }


def load_main(args: argparse.Namespace) -> None:
    urls = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_load(urls, args.seconds, args.concurrency))))


async def measure(urls: list[str], seconds: float, concurrency: int) -> dict[str, Any]:
    """Run the load subprocess against ``urls`` (without blocking this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--load",
        f"--seconds={seconds}",
        f"--concurrency={concurrency}",
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(json.dumps(urls).encode()), seconds + 60)
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(out)
    return result


# -- the servers --------------------------------------------------------------------------


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def baseline(body: bytes, seconds: float, concurrency: int) -> dict[str, Any]:
    async def constant(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/status", constant)
    runner, url = await start(app)
    try:
        return await measure([url + "/status"], seconds, concurrency)
    finally:
        await runner.cleanup()


def _sample_body() -> bytes:
    """A status answer of a run under way, as the service encodes one (same size)."""
    from actorflow.api_schema import Progress
    from actorflow.web import WorkflowStatus

    return msgspec.json.encode(
        WorkflowStatus(
            workflow_id="0" * 32,
            status="processing",
            progress=Progress(current_stage="processing", completion=33, message="step 12"),
            execution_time=1.0,
            workflow="default",
            started_at=time.time(),
        )
    ).ljust(627)


async def wait_status(http: aiohttp.ClientSession, url: str, run_id: str, want: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with http.get(f"{url}/v1/workflows/{run_id}/status") as response:
            if (await response.json())["status"] == want:
                return
        await asyncio.sleep(0.02)
    raise RuntimeError(f"run {run_id} never became {want}")


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    HeldProcessor.release.clear()
    first_base = await baseline(_sample_body(), args.seconds, args.concurrency)
    with tempfile.TemporaryDirectory() as folder, RunStore(Path(folder) / "runs.db") as store:
        runtime = Runtime()
        runtime.start()
        runtime.register_agent("extractor", ExtractionAgent, concurrency=4)
        runtime.register_agent("processor", HeldProcessor, concurrency=args.runs)
        runtime.register_agent("insights", Insights, concurrency=2)
        settings = Settings(max_concurrent_runs=args.runs + 10)
        runner, url = await start(create_app(runtime, store, settings=settings))
        try:
            async with aiohttp.ClientSession() as http:

                async def submit() -> str:
                    body = {"task": "process the records", "input_data": {"records": RECORDS}}
                    async with http.post(url + "/v1/workflows/execute", json=body) as response:
                        return str((await response.json())["workflow_id"])

                # Idle: finished runs, nothing executing.
                HeldProcessor.release.set()
                done = [await submit() for _ in range(args.runs)]
                for run_id in done:
                    await wait_status(http, url, run_id, "completed")
                async with http.get(f"{url}/v1/workflows/{done[0]}/status") as response:
                    idle_body = await response.read()
                idle = await measure(
                    [f"{url}/v1/workflows/{r}/status" for r in done], args.seconds, args.concurrency
                )

                # Busy: 50 runs executing (held in processing) for the whole measurement.
                HeldProcessor.release.clear()
                held = [await submit() for _ in range(args.runs)]
                deadline = time.monotonic() + 60
                while sum(i.busy for i in runtime.agents() if i.name == "processor") < args.runs:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the runs never all reached their processing stage")
                    await asyncio.sleep(0.02)
                async with http.get(f"{url}/v1/workflows/{held[0]}/status") as response:
                    status_body = await response.read()
                busy = await measure(
                    [f"{url}/v1/workflows/{r}/status" for r in held], args.seconds, args.concurrency
                )
                still = sum(i.busy for i in runtime.agents() if i.name == "processor")
                HeldProcessor.release.set()
                for run_id in held:
                    await wait_status(http, url, run_id, "completed")
        finally:
            await runner.cleanup()
            await asyncio.to_thread(runtime.stop)
    # Measured twice (before the service's server exists and after it is gone) and the
    # better kept: other load on a shared machine should not flatter the ratios.
    base = max(
        [first_base, await baseline(status_body, args.seconds, args.concurrency)],
        key=lambda m: m["rps"],
    )
    return {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "runs": args.runs,
        "runs_executing_at_end": still,
        "status_body_bytes": len(status_body),
        "idle_body_bytes": len(idle_body),
        "baseline": base,
        "status_idle": idle,
        "status_busy": busy,
        "ratios": {
            "busy_rps_vs_baseline": busy["rps"] / base["rps"],
            "busy_p99_vs_baseline": busy["p99_ms"] / base["p99_ms"],
            "idle_rps_vs_baseline": idle["rps"] / base["rps"],
        },
        "targets": {
            "rps": TARGET_RPS,
            "p99_ms": TARGET_P99_MS,
            "met": busy["rps"] >= TARGET_RPS and busy["p99_ms"] <= TARGET_P99_MS,
        },
    }


def report(result: dict[str, Any]) -> None:
    def line(name: str, m: dict[str, Any]) -> str:
        return (
            f"  {name:<28} {m['rps']:>9,.0f} req/s   p50 {m['p50_ms']:6.2f} ms   "
            f"p99 {m['p99_ms']:6.2f} ms   ({m['requests']:,} requests, {m['errors']} errors)"
        )

    print(
        f"status requests, {result['concurrency']} connections, {result['seconds']} s each "
        f"(answers: {result['status_body_bytes']} bytes under way, "
        f"{result['idle_body_bytes']} finished)"
    )
    print(line("baseline: bare aiohttp", result["baseline"]))
    print(line("status, idle", result["status_idle"]))
    print(line(f"status, {result['runs']} runs executing", result["status_busy"]))
    ratios = result["ratios"]
    print(
        f"  busy vs baseline: {ratios['busy_rps_vs_baseline']:.2f}x the requests/s, "
        f"{ratios['busy_p99_vs_baseline']:.2f}x the p99"
    )
    targets = result["targets"]
    print(
        f"  targets: >= {targets['rps']:,} req/s and p99 <= {targets['p99_ms']:.0f} ms: "
        + ("met" if targets["met"] else "NOT met")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--runs", type=int, default=50, help="runs executing meanwhile")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 1 <= args.concurrency <= 256:
        parser.error("--seconds must be in (0, 60] and --concurrency in [1, 256]")
    if args.load:
        load_main(args)
        return
    result = asyncio.run(bench(args))
    if args.json:
        print(json.dumps(result))
    else:
        report(result)


if __name__ == "__main__":
    main()
