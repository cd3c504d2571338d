"""Mounting the service: into a user's app, as a sub-application, or on its own."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from actorflow import Runtime
from actorflow.store import StoreError
from actorflow.web import (
    RUNTIME_KEY,
    SERVICE_KEY,
    STORE_KEY,
    Settings,
    create_app,
    init_app,
    register_builtin_agents,
)
from tests.web.web_agents import RECORDS
from tests.web.web_server import Served, start_site

TOKEN = "embedding-token-123"


async def test_init_app_mounts_the_api_without_touching_the_users_routes(
    agents_runtime: Runtime,
) -> None:
    app = web.Application()

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app.router.add_get("/hello", hello)
    service = init_app(app, agents_runtime, persist=False, settings=Settings(api_token=TOKEN))
    assert app[SERVICE_KEY] is service
    assert app[RUNTIME_KEY] is agents_runtime
    runner, url = await start_site(app)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/hello") as response:
                assert (response.status, await response.text()) == (200, "hello")
            async with http.get(url + "/v1/workflows") as response:
                assert response.status == 401
            served = Served(url, app, runner, http)
            run_id = await served.execute(
                {"task": "t", "input_data": {"r": RECORDS}},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert run_id
    finally:
        await runner.cleanup()
    assert agents_runtime.running  # given, so left running


async def test_a_sub_application_serves_the_api_and_dashboard_under_its_prefix(
    agents_runtime: Runtime,
) -> None:
    parent = web.Application()
    parent.add_subapp("/actorflow/", create_app(agents_runtime, persist=False))
    runner, url = await start_site(parent)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "/actorflow/v1/health") as response:
                assert response.status == 200
            async with http.get(url + "/actorflow/") as response:
                assert response.status == 200
                page = await response.text()
            # Relative links: they resolve under the prefix.
            assert 'src="static/app.js"' in page
            async with http.get(url + "/actorflow/static/app.js") as response:
                assert response.status == 200
                assert '"v1/' in await response.text()
    finally:
        await runner.cleanup()


async def test_what_create_app_makes_it_also_stops(tmp_path: Path) -> None:
    app = create_app(db=str(tmp_path / "own.db"), settings=Settings())
    runtime = app[RUNTIME_KEY]
    store = app[STORE_KEY]
    assert "extractor" in runtime.agent_names
    runner, url = await start_site(app)
    async with aiohttp.ClientSession() as http, http.get(url + "/v1/health") as response:
        assert response.status == 200
    await runner.cleanup()
    assert not runtime.running
    with pytest.raises(StoreError, match="closed"):
        store.list_runs()


def test_a_backend_for_a_runtime_of_the_users_is_refused(runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="give them to your Runtime"):
        create_app(runtime, persist=False, settings=Settings(), backend="ray")
    with pytest.raises(ValueError, match="give them to your Runtime"):
        create_app(runtime, persist=False, settings=Settings(), ray_address="auto")


def test_builtin_agents_register_whatever_is_installed(runtime: Runtime) -> None:
    registered = register_builtin_agents(runtime)
    assert "extractor" in registered
    assert set(registered) <= {"extractor", "processor", "insights"}
    assert set(registered) == set(runtime.agent_names)
