"""``POST /v1/workflows/{id}/retry``: a new run that reuses what succeeded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.store import RunStore
from tests.store.retry_agents import calls, register, workflow
from tests.web.web_server import MakeServer, Served


@pytest.fixture
async def served(agents_runtime: Runtime, make_server: MakeServer) -> Served:
    register(agents_runtime)
    return await make_server()


@pytest.fixture
async def failed(agents_runtime: Runtime, served: Served, tmp_path: Path) -> str:
    """A run (recorded by the server's store) whose stage c failed; the marker is gone."""
    (tmp_path / "fail").touch()
    result = await asyncio.to_thread(
        agents_runtime.run, workflow(tmp_path), {"month": "2024-05"}, timeout=30
    )
    assert result.status == "failed"
    (tmp_path / "fail").unlink()
    (tmp_path / "calls.txt").unlink()
    return result.run_id


async def test_retry_through_the_api_reruns_only_what_failed(
    served: Served, failed: str, tmp_path: Path
) -> None:
    status, answer = await served.post(f"/v1/workflows/{failed[:10]}/retry")

    assert status == 200, answer
    assert answer["retry_of"] == failed
    assert answer["reused"] == ["a", "b", "e"]
    assert answer["rerun"] == ["c", "d"]
    new = answer["workflow_id"]
    done = await served.wait_done(new)
    assert done["status"] == "completed"
    assert calls(tmp_path / "calls.txt") == ["c", "d"]
    assert {s["name"]: s["reused"] for s in done["stages"]} == {
        "a": True,
        "b": True,
        "e": True,
        "c": False,
        "d": False,
    }
    assert done["retry_of"] == failed
    _, original = await served.get(f"/v1/workflows/{failed}/status")
    assert original["retries"] == [new]
    assert [row["stage"] for row in done["results"]["d"]["rows"]] == ["a", "b", "c", "d"]


async def test_retry_from_a_stage_through_the_api(
    served: Served, failed: str, tmp_path: Path
) -> None:
    status, answer = await served.post(f"/v1/workflows/{failed}/retry", {"from_stage": "b"})

    assert status == 200, answer
    assert answer["rerun"] == ["b", "c", "d"]
    assert (await served.wait_done(answer["workflow_id"]))["status"] == "completed"
    assert calls(tmp_path / "calls.txt") == ["b", "c", "d"]


async def test_retry_of_an_unknown_run_is_404(served: Served) -> None:
    status, answer = await served.post("/v1/workflows/wf_nosuchrun/retry")

    assert status == 404, answer
    assert answer["error"]["field"] == "workflow_id"


async def test_retry_from_an_unknown_stage_is_422_naming_the_field(
    served: Served, failed: str
) -> None:
    status, answer = await served.post(f"/v1/workflows/{failed}/retry", {"from_stage": "zz"})

    assert status == 422, answer
    assert answer["error"]["field"] == "from_stage"
    assert "its stages: a, b, e, c, d" in answer["error"]["message"]


async def test_retry_with_a_deleted_output_is_409_naming_the_stage(
    served: Served, failed: str, store: RunStore, tmp_path: Path
) -> None:
    store.flush()
    files = store.output_files(failed, "b")
    assert files
    for path in files:
        path.unlink()

    status, answer = await served.post(f"/v1/workflows/{failed}/retry")

    assert status == 409, answer
    assert "the stored output of stage 'b' is missing" in answer["error"]["message"]
    assert calls(tmp_path / "calls.txt") == []


async def test_retry_of_a_run_still_under_way_is_409(
    agents_runtime: Runtime, served: Served
) -> None:
    from tests.store.retry_agents import GATE

    GATE.clear()
    handle = agents_runtime.submit({"name": "held", "stages": [{"name": "h", "agent": "gated"}]})
    try:
        status, answer = await served.post(f"/v1/workflows/{handle.run_id}/retry")
    finally:
        GATE.set()
    assert status == 409, answer
    assert answer["error"]["code"] == "still_processing"
    assert (await asyncio.to_thread(handle.result, 30)).status == "completed"
