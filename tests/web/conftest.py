"""Fixtures of the web tests: a recorded runtime and real servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actorflow import Runtime
from actorflow.store import RunStore
from actorflow.web import Settings, create_app
from tests.web.web_agents import register_agents
from tests.web.web_server import MakeServer, Served, fake_lookup, start_site

#: Names the tests resolve without DNS.
HOSTS = {
    "public.example": ["93.184.216.34"],
    "internal.example": ["10.1.2.3"],
    "sneaky.example": ["93.184.216.34", "127.0.0.1"],
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "runs.db"


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    return root


@pytest.fixture
def store(db_path: Path) -> Iterator[RunStore]:
    with RunStore(db_path, busy_timeout_s=2.0) as opened:
        yield opened


@pytest.fixture
def agents_runtime(runtime: Runtime) -> Runtime:
    register_agents(runtime)
    return runtime


@pytest.fixture
async def make_server(
    agents_runtime: Runtime, store: RunStore, data_root: Path
) -> AsyncIterator[MakeServer]:
    """Start servers on the shared runtime and store: ``await make_server(**settings)``."""
    started: list[Served] = []

    async def make(**settings: Any) -> Served:
        settings.setdefault("data_roots", (data_root,))
        app = create_app(
            agents_runtime, store, settings=Settings(**settings), lookup=fake_lookup(HOSTS)
        )
        runner, url = await start_site(app)
        served = Served(url, app, runner, aiohttp.ClientSession())
        started.append(served)
        return served

    yield make
    for served in started:
        await served.http.close()
        await served.runner.cleanup()


@pytest.fixture
async def server(make_server: MakeServer) -> Served:
    """A server with the default settings (loopback, no token)."""
    return await make_server()
