"""History survives a restart: a new server on the same database answers for old runs."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from actorflow import Runtime
from actorflow.client._common import SseParser
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from tests.web.web_agents import RECORDS, register_agents
from tests.web.web_server import Served, start_site


async def _serve(db_path: Path) -> tuple[Served, Runtime, RunStore]:
    runtime = Runtime(stop_timeout_s=5.0)
    runtime.start()
    register_agents(runtime)
    store = RunStore(db_path)
    app = create_app(runtime, store, settings=Settings())
    runner, url = await start_site(app)
    return Served(url, app, runner, aiohttp.ClientSession()), runtime, store


async def _stop(served: Served, runtime: Runtime, store: RunStore) -> None:
    await served.http.close()
    await served.runner.cleanup()
    runtime.stop()
    store.close()


async def test_a_restarted_server_lists_reports_and_replays_runs_of_the_last_one(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "runs.db"
    first, runtime, store = await _serve(db_path)
    try:
        run_id = await first.execute({"task": "analyse", "input_data": {"records": RECORDS}})
        before = await first.wait_done(run_id)
        _, events_before = await first.get(f"/v1/workflows/{run_id}/events")
    finally:
        await _stop(first, runtime, store)

    second, runtime, store = await _serve(db_path)
    try:
        _, listing = await second.get("/v1/workflows")
        assert [run["workflow_id"] for run in listing] == [run_id]
        assert listing[0]["status"] == "completed"

        status, after = await second.get(f"/v1/workflows/{run_id}/status")
        assert status == 200
        assert after["status"] == "completed"
        assert after["results"]["insights"]["totals"] == before["results"]["insights"]["totals"]
        assert (
            after["results"]["processing"]["records"]["rows"]
            == (before["results"]["processing"]["records"]["rows"])
        )
        assert [s["status"] for s in after["stages"]] == ["succeeded"] * 3

        status, replay = await second.get(f"/v1/workflows/{run_id}/events")
        assert status == 200
        assert replay == events_before  # the same frames, read back from the store
        parser = SseParser()
        kinds = [e.kind for line in replay.splitlines(keepends=True) for e in parser.feed(line)]
        assert kinds[0] == "run_started"
        assert kinds[-1] == "run_finished"

        async with second.http.get(
            f"{second.url}/v1/workflows/{run_id}/results?format=csv"
        ) as response:
            assert response.status == 200
            assert "THE DAILY" in await response.text()
        status, body = await second.post(f"/v1/workflows/{run_id}/cancel")
        assert (status, body["error"]["code"]) == (409, "already_finished")
    finally:
        await _stop(second, runtime, store)
