"""A cached stage says so in the run's status."""

from __future__ import annotations

import asyncio
from pathlib import Path

from actorflow import Runtime
from tests.store.retry_agents import register
from tests.web.web_server import MakeServer


async def test_the_status_of_a_run_whose_stages_came_from_the_cache_says_cached(
    agents_runtime: Runtime, make_server: MakeServer, tmp_path: Path
) -> None:
    register(agents_runtime)
    served = await make_server()
    workflow = {"name": "cached", "stages": [
        {"name": "a", "agent": "counted", "cache": True,
         "params": {"counter": str(tmp_path / "calls.txt")}},
        {"name": "b", "agent": "counted", "depends_on": ["a"],
         "params": {"counter": str(tmp_path / "calls.txt")}},
    ]}  # fmt: skip
    store = served.service.store
    assert store is not None
    for _ in range(2):
        result = await asyncio.to_thread(agents_runtime.run, workflow, timeout=30)
        assert result.status == "completed"
        # Entries are written by the store's writer thread: on disk once flushed.
        await asyncio.to_thread(store.flush)
    _, status = await served.get(f"/v1/workflows/{result.run_id}/status")
    assert {s["name"]: s["cached"] for s in status["stages"]} == {"a": True, "b": False}
    served.service.tracker.discard(result.run_id)  # the stored status says the same
    _, stored = await served.get(f"/v1/workflows/{result.run_id}/status")
    assert {s["name"]: s["cached"] for s in stored["stages"]} == {"a": True, "b": False}
