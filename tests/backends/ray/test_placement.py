"""Per-agent placement: light agents in this process, heavy ones on Ray, one workflow."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from actorflow import Runtime
from tests.backends.ray.ray_agents import WhereAmI
from tests.thread_check import actor_threads

pytestmark = pytest.mark.ray


def two_stages() -> dict[str, Any]:
    return {
        "name": "placed",
        "stages": [
            {"name": "light", "agent": "light"},
            {"name": "heavy", "agent": "heavy", "depends_on": ["light"]},
        ],
    }


def test_a_pykka_runtime_sends_only_the_agents_placed_on_ray_there(ray_cluster: Any) -> None:
    with Runtime() as rt:
        rt.register_agent("light", WhereAmI)
        rt.register_agent("heavy", WhereAmI, backend="ray", num_cpus=1)
        result = rt.run(two_stages(), timeout=60)
    assert result.status == "completed", result.error
    assert result.output("light")["pid"] == os.getpid()
    assert result.output("heavy")["pid"] != os.getpid()


def test_a_ray_runtime_keeps_the_agents_placed_on_pykka_in_process(ray_cluster: Any) -> None:
    with Runtime(backend="ray") as rt:
        assert rt.backend == "ray"
        rt.register_agent("light", WhereAmI, backend="pykka")
        rt.register_agent("heavy", WhereAmI)
        result = rt.run(two_stages(), timeout=60)
    assert result.status == "completed", result.error
    assert result.output("light")["pid"] == os.getpid()
    assert result.output("heavy")["pid"] != os.getpid()


def test_the_agent_list_says_where_each_agent_runs(ray_cluster: Any) -> None:
    with Runtime() as rt:
        rt.register_agent("light", WhereAmI)
        rt.register_agent("heavy", WhereAmI, backend="ray")
        placed = {info.name: info.backend for info in rt.agents()}
    assert placed == {"light": "pykka", "heavy": "ray"}


def test_num_cpus_reserves_cpus_of_the_cluster_for_each_actor(ray_cluster: Any) -> None:
    ray = ray_cluster
    total = ray.cluster_resources()["CPU"]
    with Runtime() as rt:
        rt.register_agent("heavy", WhereAmI, backend="ray", num_cpus=1, concurrency=1)
        reserved = threading.Event()
        for _ in range(300):  # resource views refresh every ~100 ms: bounded polling
            if ray.available_resources().get("CPU", total) <= total - 1:
                reserved.set()
                break
            threading.Event().wait(0.02)
        assert reserved.is_set()


def test_num_cpus_for_an_agent_in_process_is_refused(ray_cluster: Any) -> None:
    with Runtime() as rt, pytest.raises(ValueError, match="'light': num_cpus applies to agents"):
        rt.register_agent("light", WhereAmI, num_cpus=2)


def test_an_unknown_backend_is_refused_naming_the_agent_and_the_choices(
    ray_cluster: Any,
) -> None:
    with Runtime() as rt, pytest.raises(ValueError, match=r"agent 'x'.*'dask'.*pykka, ray"):
        rt.register_agent("x", WhereAmI, backend="dask")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Runtime\(backend=...\).*'spark'"):
        Runtime(backend="spark")  # type: ignore[arg-type]


def test_a_negative_num_cpus_is_refused(ray_cluster: Any) -> None:
    with Runtime() as rt, pytest.raises(ValueError, match="num_cpus must be >= 0"):
        rt.register_agent("heavy", WhereAmI, backend="ray", num_cpus=-1)


def test_a_stopped_runtime_leaves_none_of_its_ray_threads_behind(ray_cluster: Any) -> None:
    with Runtime(backend="ray") as rt:
        rt.register_agent("heavy", WhereAmI, concurrency=2)
        heavy_only = {"name": "heavy", "stages": [{"name": "heavy", "agent": "heavy"}]}
        assert rt.run(heavy_only, timeout=60).ok
        assert any(t.name.startswith("actorflow-ray") for t in actor_threads())
    for _ in range(200):  # bounded: idle threads end as soon as they are told to
        if not actor_threads():
            break
        threading.Event().wait(0.01)
    assert actor_threads() == []
