"""Fixtures of the Ray backend suite: one local Ray for the whole session (2 CPUs).

Starting Ray costs seconds and ten processes, so it is started once, by the first test
that needs it, and shut down at the end of the session. Runtimes made by the tests find
it connected and use it without owning it. Ray workers import the tests' agent modules
(``tests.backends.ray.ray_agents``, ...), so the repository root goes on the workers'
``PYTHONPATH``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actorflow import Runtime
from tests.processes import REPO


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A local Ray with 2 CPUs, no dashboard, no usage reporting."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if ray.is_initialized():  # pragma: no cover - someone else's Ray: do not touch it
        pytest.fail("Ray was already initialized in this process before the Ray suite")
    # Ray puts the driver's working directory first on the workers' sys.path. The suite
    # starts Ray at the repository's root, as a contributor would: the checkout's
    # actorflow/ folder is the package itself, so the workers import the same code.
    cwd = Path.cwd()
    os.chdir(REPO)
    try:
        _init(ray)
    finally:
        os.chdir(cwd)
    try:
        yield ray
    finally:
        ray.shutdown()


def _init(ray: Any) -> None:
    ray.init(
        address="local",  # never join a cluster that happens to run on this machine
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,  # workers' log lines would interleave with pytest's output
        runtime_env={
            "env_vars": {
                "PYTHONPATH": str(REPO),
                "RAY_USAGE_STATS_ENABLED": "0",
            }
        },
    )


@pytest.fixture
def ray_runtime(ray_cluster: Any) -> Iterator[Runtime]:
    """A started runtime whose agents run on the session's Ray by default."""
    rt = Runtime(backend="ray", stop_timeout_s=15.0)
    rt.start()
    try:
        yield rt
    finally:
        rt.stop()
