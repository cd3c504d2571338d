"""Fixtures of the store's tests: a store on a real file in ``tmp_path``, always closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actorflow import Runtime
from actorflow.store import RunStore
from tests.store.store_agents import register_agents


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[RunStore]:
    with RunStore(db_path, busy_timeout_s=2.0) as opened:
        yield opened


@pytest.fixture
def recorded(runtime: Runtime, store: RunStore) -> Runtime:
    """The shared ``runtime`` with the test agents, recorded by ``store``."""
    register_agents(runtime)
    store.attach(runtime)
    return runtime
