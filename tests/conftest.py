"""Fixtures shared by every test: a runtime that is always stopped, and no leaked threads."""

from __future__ import annotations

from collections.abc import Iterator

import pykka
import pytest
from hypothesis import HealthCheck, settings

from actorflow import Runtime

settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("default")


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    """A started runtime, stopped after the test whatever happened."""
    rt = Runtime(stop_timeout_s=5.0)
    rt.start()
    try:
        yield rt
    finally:
        rt.stop()


@pytest.fixture(autouse=True)
def _stop_stray_actors() -> Iterator[None]:
    yield
    pykka.ActorRegistry.stop_all(block=True, timeout=5)
