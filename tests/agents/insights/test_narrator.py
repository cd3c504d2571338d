"""The optional narrator against a real local aiohttp server imitating the endpoint."""

from __future__ import annotations

import functools
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from actorflow import Runtime, StageRequest
from actorflow.agents.insights import (
    InsightsAgent,
    NarratorError,
    NarratorSettings,
    narrate,
)
from actorflow.contracts import StageSpec, thaw
from tests.agents.insights.insights_helpers import messy_csvs, register, revenue_workflow
from tests.agents.insights.table_helpers import processed, typed_frame
from tests.agents.insights.test_tables import ORDER_ROWS, ORDERS

STORY = "Revenue held up well this month."
INSIGHTS = [{"kind": "totals", "sentence": "Total revenue is 1.00.", "data": {"total": "1.00"}}]


@dataclass
class ChatServer:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def chat_server() -> AsyncIterator[ChatServer]:
    """``/ok``, ``/broken`` (500), ``/garbage`` (not JSON) and ``/empty`` (no choices)."""
    server = ChatServer("")

    async def record(request: web.Request) -> None:
        server.requests.append(await request.json())
        server.headers.append(dict(request.headers))

    async def ok(request: web.Request) -> web.Response:
        await record(request)
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": STORY}}]}
        return web.json_response(body)

    async def broken(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(status=500, text="model overloaded")

    async def garbage(request: web.Request) -> web.Response:
        await record(request)
        return web.Response(text='{"choices": [', content_type="application/json")

    async def empty(request: web.Request) -> web.Response:
        await record(request)
        return web.json_response({"choices": []})

    app = web.Application()
    for name, handler in (("ok", ok), ("broken", broken), ("garbage", garbage), ("empty", empty)):
        app.router.add_post(f"/{name}/v1/chat/completions", handler)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        await runner.cleanup()


async def test_the_narrator_posts_the_insights_and_returns_the_reply(
    chat_server: ChatServer,
) -> None:
    settings = NarratorSettings(url=f"{chat_server.url}/ok/v1/", model="tiny", api_key="sk-1")
    text = await narrate(settings, INSIGHTS, {"title": "T", "processing_month": "2024-03"})
    assert text == STORY
    (body,) = chat_server.requests
    assert body["model"] == "tiny"
    assert body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    facts = json.loads(body["messages"][1]["content"])
    assert facts["insights"] == INSIGHTS
    assert facts["processing_month"] == "2024-03"
    assert chat_server.headers[0]["Authorization"] == "Bearer sk-1"
    assert "sk-1" not in repr(settings)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("broken", "HTTP 500: model overloaded"),
        ("garbage", "the reply is not JSON"),
        ("empty", r"the reply has no choices\[0\]\.message\.content"),
    ],
)
async def test_a_failing_endpoint_is_a_narrator_error_naming_it(
    chat_server: ChatServer, path: str, message: str
) -> None:
    settings = NarratorSettings(url=f"{chat_server.url}/{path}/v1")
    with pytest.raises(NarratorError, match=message) as info:
        await narrate(settings, INSIGHTS, {})
    assert f"{chat_server.url}/{path}/v1/chat/completions" in str(info.value)
    assert "model" not in chat_server.requests[0]


async def test_an_unreachable_endpoint_is_a_narrator_error() -> None:
    # A port bound but not listening refuses connections, and no one else can take it.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        settings = NarratorSettings(url=f"http://127.0.0.1:{port}/v1", timeout_s=5)
        with pytest.raises(NarratorError, match=f"127.0.0.1:{port}"):
            await narrate(settings, INSIGHTS, {})


def test_settings_come_from_the_environment_and_are_off_without_a_url() -> None:
    assert NarratorSettings.from_env({}) is None
    settings = NarratorSettings.from_env(
        {
            "ACTORFLOW_NARRATOR_URL": "http://127.0.0.1:1/v1",
            "ACTORFLOW_NARRATOR_MODEL": "m",
            "ACTORFLOW_NARRATOR_API_KEY": "k",
        }
    )
    assert settings == NarratorSettings(url="http://127.0.0.1:1/v1", model="m", api_key="k")
    with pytest.raises(ValueError, match="http"):
        NarratorSettings(url="ftp://example")


async def test_a_narrated_run_puts_the_story_in_the_output_and_the_markdown(
    runtime: Runtime, chat_server: ChatServer, tmp_path: Path
) -> None:
    settings = NarratorSettings(url=f"{chat_server.url}/ok/v1", model="tiny")
    register(runtime, functools.partial(InsightsAgent, narrator=settings))
    result = await runtime.arun(revenue_workflow(messy_csvs(tmp_path, rows=100)))
    assert result.status == "completed", result.error
    out = thaw(result.output("insights"))
    assert out["narrative"] == STORY
    assert out["markdown"].rstrip().endswith(STORY)
    assert "## Narrative" in out["markdown"]
    assert out["warnings"] == []
    kinds = [
        i["kind"] for i in json.loads(chat_server.requests[0]["messages"][1]["content"])["insights"]
    ]
    assert kinds == [i["kind"] for i in out["insights"]]


@pytest.mark.parametrize("path", ["broken", "garbage"])
async def test_a_narrator_failure_is_a_warning_and_the_stage_still_succeeds(
    runtime: Runtime, chat_server: ChatServer, tmp_path: Path, path: str
) -> None:
    settings = NarratorSettings(url=f"{chat_server.url}/{path}/v1")
    register(runtime, functools.partial(InsightsAgent, narrator=settings))
    result = await runtime.arun(revenue_workflow(messy_csvs(tmp_path, rows=100)))
    assert result.status == "completed", result.error
    out = thaw(result.output("insights"))
    assert out["narrative"] is None
    assert [w["kind"] for w in out["warnings"]] == ["narrator"]
    assert "## Narrative" not in out["markdown"]
    assert out["insights"]


async def test_the_narrator_is_off_by_default_and_a_stage_can_turn_it_off(
    runtime: Runtime, chat_server: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACTORFLOW_NARRATOR_URL", raising=False)
    register(runtime)
    csvs = messy_csvs(tmp_path, rows=60)
    result = await runtime.arun(revenue_workflow(csvs))
    assert thaw(result.output("insights"))["narrative"] is None

    monkeypatch.setenv("ACTORFLOW_NARRATOR_URL", f"{chat_server.url}/ok/v1")
    result = await runtime.arun(revenue_workflow(csvs, insights_params={"narrate": False}))
    assert thaw(result.output("insights"))["narrative"] is None
    assert chat_server.requests == []

    result = await runtime.arun(revenue_workflow(csvs))
    assert thaw(result.output("insights"))["narrative"] == STORY
    assert len(chat_server.requests) == 1


async def test_the_narrator_gets_a_generic_tables_structured_insights(
    chat_server: ChatServer,
) -> None:
    keys = ["order_id", "order_date", "customer", "category", "amount", "quantity", "country"]
    frame = typed_frame([dict(zip(keys, r, strict=True)) for r in ORDER_ROWS], ORDERS)
    settings = NarratorSettings(url=f"{chat_server.url}/ok/v1", model="tiny")
    request = StageRequest.of(
        StageSpec(name="insights", agent="insights", depends_on=("process",)),
        dependencies={"process": processed(frame, ORDERS)},
    )
    output = await InsightsAgent(narrator=settings).perform(request)
    assert output["narrative"] == STORY
    assert "## Narrative" in output["markdown"]
    (body,) = chat_server.requests
    facts = json.loads(body["messages"][1]["content"])
    sent = [(i["kind"], i["sentence"]) for i in facts["insights"]]
    assert sent == [(i["kind"], i["sentence"]) for i in output["insights"]]
    assert "top_category" in dict(sent)
    assert facts["title"] == "Insights on amount"
