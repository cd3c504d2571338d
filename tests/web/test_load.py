"""A bounded load on a real server: ~200 submissions, a kill -9 at once, a restart.

It prints what it saw (accepted, completed, lost, latencies under load) and asserts
only what must hold whatever the machine: no accepted run is lost. Timings are shown,
never asserted (the machine is shared).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest

from tests.web.test_crash import _check_promise
from tests.web.web_agents import RECORDS
from tests.web.web_process import ServeProcess

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX"),
]

SUBMISSIONS = 200
IN_FLIGHT = 16  # submissions under way at once
WITHIN_S = 30.0  # the whole load, submissions and completions
SETTINGS = msgspec.json.encode({"max_concurrent_runs": 1000}).decode()


def _p(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def test_200_submissions_under_load_all_survive_a_kill_9_and_complete(tmp_path: Path) -> None:
    db_path = tmp_path / "db" / "runs.db"
    server = ServeProcess(db_path, SETTINGS, folder=tmp_path, n=0)
    accepted: list[str] = []
    refused: list[int] = []
    execute_s: list[float] = []
    status_s: list[float] = []
    done: dict[str, str] = {}
    deadline = time.monotonic() + WITHIN_S
    rng = random.Random(0)
    submitting = True
    try:
        async with aiohttp.ClientSession() as http:

            async def submit(n: int, gate: asyncio.Semaphore) -> None:
                body: dict[str, Any] = {"task": f"load {n}", "input_data": {"records": RECORDS}}
                async with gate:
                    started = time.perf_counter()
                    async with http.post(f"{server.url}/v1/workflows/execute", json=body) as r:
                        answer = await r.json()
                    execute_s.append(time.perf_counter() - started)
                if r.status == 200:
                    accepted.append(answer["workflow_id"])
                else:
                    refused.append(r.status)

            async def poll(until: float) -> None:
                # Status requests while the load goes on: the latency a client sees.
                while submitting and time.monotonic() < until:
                    if not accepted:
                        await asyncio.sleep(0.01)  # the first answer is on its way
                        continue
                    run_id = rng.choice(accepted)
                    started = time.perf_counter()
                    async with http.get(f"{server.url}/v1/workflows/{run_id}/status") as r:
                        answer = await r.json()
                    status_s.append(time.perf_counter() - started)
                    assert r.status == 200, answer

            gate = asyncio.Semaphore(IN_FLIGHT)
            pollers = [asyncio.ensure_future(poll(deadline)) for _ in range(4)]
            await asyncio.gather(*(submit(n, gate) for n in range(SUBMISSIONS)))
            submitting = False
            await asyncio.gather(*pollers)
            submitted_in = WITHIN_S - (deadline - time.monotonic())

            server.kill()  # at once, runs still under way
            server = ServeProcess(db_path, SETTINGS, folder=tmp_path, n=1)
            lost = await _check_promise(http, server, db_path, accepted)
            # Then the resumed runs finish, within the same bound.
            pending = [i for i in accepted if i not in lost]
            while pending and time.monotonic() < deadline:
                for run_id in pending:
                    async with http.get(f"{server.url}/v1/workflows/{run_id}/status") as r:
                        answer = await r.json()
                    if answer["status"] != "processing":
                        done[run_id] = answer["status"]
                pending = [i for i in pending if i not in done]
    finally:
        server.kill()
    completed = sum(1 for s in done.values() if s == "completed")
    print(
        f"\nload: {SUBMISSIONS} submitted ({IN_FLIGHT} at once) in {submitted_in:.1f}s, "
        f"accepted {len(accepted)}, refused {len(refused)} {sorted(set(refused))}, "
        f"kill -9 and restart, then completed {completed}, other ends "
        f"{len(done) - completed}, lost {len(lost)}\n"
        f"execute p50 {_p(execute_s, 0.5):.1f} ms p99 {_p(execute_s, 0.99):.1f} ms; "
        f"status under load p50 {_p(status_s, 0.5):.1f} ms p99 {_p(status_s, 0.99):.1f} ms "
        f"({len(status_s)} requests)"
    )
    assert accepted, f"no submission was accepted: {refused}"
    assert not lost, "\n".join(lost.values())
