"""A runtime with ``ray_address=None`` starts a local Ray of its own and stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from tests.backends.ray.test_bad_input import run_python

pytestmark = [pytest.mark.ray, pytest.mark.slow]


def test_a_local_ray_is_started_on_demand_and_shut_down_with_the_runtime(
    tmp_path: Path,
) -> None:
    result = run_python(
        """
        import json, os
        import ray
        from actorflow import Agent, Runtime
        from actorflow.backends.ray import RayBackend

        class WhereAmI(Agent):  # defined in __main__: Ray pickles it by value
            def perform(self, request):
                return os.getpid()

        rt = Runtime(backend=RayBackend(init_options={"num_cpus": 1}))
        before = ray.is_initialized()
        with rt:
            started = ray.is_initialized()
            rt.register_agent("where", WhereAmI)
            result = rt.run({"name": "w", "stages": [{"name": "a", "agent": "where"}]})
        print(json.dumps({
            "before": before, "started": started, "after": ray.is_initialized(),
            "status": result.status, "remote": result.output("a") != os.getpid(),
        }))
        """,
        tmp_path,
        timeout=180,
    )
    assert result == {
        "before": False,
        "started": True,
        "after": False,
        "status": "completed",
        "remote": True,
    }
