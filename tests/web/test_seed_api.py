"""The seed's shapes, ids and workflow vocabulary on the API, and what bad input gets.

(``test_seed_clients.py`` runs the seed's own client and cURL commands against
``actorflow serve``; these tests check the rules one by one on a server in the test.)
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actorflow import Runtime
from actorflow.agents.insights import InsightsAgent
from actorflow.web import create_app
from tests.web.web_agents import RECORDS, Gate, gated_workflow
from tests.web.web_server import Served, start_site

WF_ID = re.compile(r"^wf_[0-9a-f]{32}$")
RUN = {"task": "t", "input_data": {"records": RECORDS}}


async def _poll(condition: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


# -- ids -------------------------------------------------------------------------------


async def test_ids_start_with_wf_and_every_run_route_takes_a_unique_prefix(
    server: Served,
) -> None:
    first = await server.execute(RUN)
    second = await server.execute(RUN)
    assert WF_ID.match(first)
    assert WF_ID.match(second)
    await server.wait_done(first)
    await server.wait_done(second)
    n = next(n for n in range(4, 35) if first[:n] != second[:n])
    short = first[:n]

    status, body = await server.get(f"/v1/workflows/{short}/status")
    assert (status, body["workflow_id"], body["status"]) == (200, first, "completed")
    async with server.http.get(f"{server.url}/v1/workflows/{short}/events") as response:
        assert response.status == 200
        assert f'"run_id":"{first}"' in await response.text()
    status, body = await server.get(f"/v1/workflows/{short}/results")
    assert status == 200
    assert set(body["results"]) >= {"extraction", "processing", "insights"}
    status, body = await server.post(f"/v1/workflows/{short}/cancel")
    assert (status, body["error"]["code"]) == (409, "already_finished")


async def test_an_ambiguous_prefix_is_a_400_listing_the_runs_and_an_unknown_one_a_404(
    server: Served,
) -> None:
    runs = [await server.execute(RUN) for _ in range(2)]
    for run_id in runs:
        await server.wait_done(run_id)
    for method, tail in (("GET", "status"), ("GET", "events"), ("GET", "results"),
                         ("POST", "cancel")):  # fmt: skip
        async with server.http.request(method, f"{server.url}/v1/workflows/wf_/{tail}") as answer:
            body = await answer.json()
            assert answer.status == 400, (tail, body)
            assert body["error"]["code"] == "ambiguous_id"
            assert body["error"]["field"] == "workflow_id"
            assert all(run_id in body["error"]["message"] for run_id in runs)
        async with server.http.request(
            method, f"{server.url}/v1/workflows/wf_12345678/{tail}"
        ) as answer:
            assert answer.status == 404, tail


async def test_a_run_recorded_with_an_old_32_hex_id_is_found_by_its_prefix(
    server: Served,
) -> None:
    old = "0f8c2b4e9d" + "1" * 22
    spec = server.service.catalog.get(None)  # the default workflow
    handle = await asyncio.to_thread(
        server.service.runtime.submit, spec, {"records": RECORDS}, run_id=old
    )
    await asyncio.to_thread(handle.result, 20)
    final = await server.wait_done("0f8c2b")
    assert (final["workflow_id"], final["status"]) == (old, "completed")


# -- shapes ----------------------------------------------------------------------------


async def test_health_gives_each_agent_its_state(server: Served) -> None:
    _, health = await server.get("/v1/health")
    assert health["agents"] == {
        "extractor": "ready",
        "processor": "ready",
        "insights": "ready",
        "gate": "ready",
    }
    opened, _ = Gate.make("busy")
    runs = [
        await server.execute({**RUN, "workflow_config": gated_workflow("busy")})
        for _ in range(4)  # the gate agent has 4 actors
    ]

    async def gate_busy() -> bool:
        _, health = await server.get("/v1/health")
        return bool(health["agents"]["gate"] == "busy")

    await _poll(gate_busy)
    opened.set()
    for run_id in runs:
        await server.wait_done(run_id)
    _, health = await server.get("/v1/health")
    assert health["agents"]["gate"] == "ready"


async def test_capabilities_give_the_narrators_model(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTORFLOW_NARRATOR_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ACTORFLOW_NARRATOR_MODEL", "gpt-4o-mini")
    runtime.register_agent("insights", InsightsAgent)
    runner, url = await start_site(create_app(runtime, persist=False))
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{url}/v1/agents/capabilities") as answer,
        ):
            body = await answer.json()
    finally:
        await runner.cleanup()
    insights = body["agents"]["insights"]
    assert insights["model"] == "gpt-4o-mini"
    assert insights["aliases"] == ["insights_generator"]
    assert insights["role"] == "insights"


async def test_execute_answers_with_the_seeds_fields_too(server: Served) -> None:
    status, body = await server.post("/v1/workflows/execute", RUN)
    assert status == 200
    assert {"results", "error", "execution_time"} <= set(body)
    assert (body["results"], body["error"], body["execution_time"]) == (None, None, None)
    await server.wait_done(body["workflow_id"])


# -- the seed's workflow vocabulary -------------------------------------------------------


def _seed_stage(**fields: Any) -> dict[str, Any]:
    return {
        "task": "t",
        "input_data": {"records": RECORDS},
        "workflow_config": {
            "stages": [
                {"name": "extraction", "agent": "data_extractor", **fields},
                {
                    "name": "processing",
                    "agent_name": "data_processor",
                    "depends_on": ["extraction"],
                },
            ],
            "global_timeout": 60,
            "enable_progress_tracking": True,
            "progress_tracking_enabled": True,
            "context_sharing_enabled": True,
            "error_recovery_enabled": True,
            "parallel_execution_enabled": False,
        },
    }


async def test_the_seeds_vocabulary_runs(server: Served) -> None:
    run_id = await server.execute(
        _seed_stage(timeout=30, retry_count=1, task_template="Extract the records")
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed", final
    assert [(s["name"], s["agent"]) for s in final["stages"]] == [
        ("extraction", "extractor"),
        ("processing", "processor"),
    ]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (_seed_stage(timeout=30, timeout_s=30), "workflow_config.stages[0].timeout",
         ("'timeout'", "'timeout_s'")),
        (_seed_stage(retry_count=1, retries=1), "workflow_config.stages[0].retry_count",
         ("'retry_count'", "'retries'")),
        (_seed_stage(agent_name="data_extractor"), "workflow_config.stages[0].agent_name",
         ("'agent_name'", "'agent'")),
        ({**RUN, "workflow_config": {"global_timeout": 10, "timeout_s": 10}},
         "workflow_config.global_timeout", ("'global_timeout'", "'timeout_s'")),
        ({**RUN, "workflow_config": {"parallel": True, "parallel_execution_enabled": True}},
         "workflow_config.parallel_execution_enabled",
         ("'parallel_execution_enabled'", "'parallel'")),
    ],
)  # fmt: skip
async def test_a_seed_name_with_its_twin_is_a_422_naming_both(
    server: Served, body: dict[str, Any], field: str, words: tuple[str, str]
) -> None:
    status, answer = await server.post("/v1/workflows/execute", body)
    assert status == 422, answer
    assert answer["error"]["field"] == field
    assert all(word in answer["error"]["message"] for word in words)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_seed_stage(timeout="soon"), "workflow_config.stages[0].timeout"),
        (_seed_stage(retry_count=-1), "workflow_config.stages[0].retry_count"),
        (_seed_stage(task_template=5), "workflow_config.stages[0].task_template"),
        ({**RUN, "workflow_config": {"global_timeout": "x"}}, "workflow_config.global_timeout"),
        ({**RUN, "workflow_config": {"enable_progress_tracking": "on"}},
         "workflow_config.enable_progress_tracking"),
        (_seed_stage(timeouts=5), "workflow_config.stages[0].timeouts"),
        ({**RUN, "workflow_config": {"enable_progress": True}}, "workflow_config.enable_progress"),
    ],
)  # fmt: skip
async def test_a_seed_name_of_the_wrong_type_or_an_unknown_field_is_a_422_naming_it(
    server: Served, body: dict[str, Any], field: str
) -> None:
    status, answer = await server.post("/v1/workflows/execute", body)
    assert status == 422, answer
    assert answer["error"]["field"] == field


async def test_a_stage_without_an_agent_is_a_422(server: Served) -> None:
    body = {**RUN, "workflow_config": {"stages": [{"name": "extraction"}]}}
    status, answer = await server.post("/v1/workflows/execute", body)
    assert status == 422
    assert answer["error"]["field"] == "workflow_config.stages[0].agent"


# -- input_data.sources ----------------------------------------------------------------


async def test_input_data_sources_in_the_seeds_shape_feed_the_extraction(
    server: Served, data_root: Path
) -> None:
    (data_root / "audiomax.csv").write_text(
        "id,podcast_name,revenue,date\n7,the daily,10.50,2024-03-01\n8,tech talk,4.25,2024-03-02\n"
    )
    run_id = await server.execute(
        {
            "task": "t",
            "input_data": {
                "sources": {"audiomax": {"type": "file", "path": str(data_root / "audiomax.csv")}},
                "processing_month": "2024-03",
            },
        }
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed", final
    assert final["results"]["insights"]["totals"]["records"] == 2


async def test_input_data_sources_stay_confined_to_the_data_roots_and_the_host_policy(
    server: Served, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("id,revenue\n1,666\n")
    status, answer = await server.post(
        "/v1/workflows/execute",
        {"task": "t", "input_data": {"sources": {"s": {"type": "file", "path": str(outside)}}}},
    )
    assert status == 403, answer
    assert answer["error"]["field"].startswith("input_data.sources")
    status, answer = await server.post(
        "/v1/workflows/execute",
        {
            "task": "t",
            "input_data": {"sources": {"s": {"type": "api", "url": "http://internal.example/x"}}},
        },
    )
    assert status == 403, answer
    assert answer["error"]["field"].startswith("input_data.sources")


async def test_input_data_sources_of_another_shape_are_a_422(server: Served) -> None:
    for sources, field in (("x", "input_data.sources"), ({"a": 5}, "input_data.sources.a")):
        status, answer = await server.post(
            "/v1/workflows/execute", {"task": "t", "input_data": {"sources": sources}}
        )
        assert (status, answer["error"]["field"]) == (422, field), answer


async def test_workflow_sources_win_over_input_data_sources(
    server: Served, data_root: Path
) -> None:
    (data_root / "a.csv").write_text("id,podcast_name,revenue,date\n1,x,1.00,2024-01-01\n")
    run_id = await server.execute(
        {
            "task": "t",
            "input_data": {"sources": {"never": {"type": "file", "path": "/nowhere.csv"}}},
            "workflow_config": {"sources": [{"type": "file", "path": str(data_root / "a.csv")}]},
        }
    )
    final = await server.wait_done(run_id)
    assert final["status"] == "completed", final
    assert final["results"]["insights"]["totals"]["records"] == 1
