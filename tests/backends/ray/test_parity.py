"""Parity: the same workflows give the same results, and obey the same scheduling rules,
on the pykka backend and on Ray.

The random workflows and the rule checks are the scheduling property test's own
(``tests/actors/test_scheduling_properties.py``), run once on each backend.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ray")  # the Ray suite: skipped where Ray is not installed

from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow import RunResult, Runtime
from actorflow._builtin import register_builtin_agents
from actorflow.demo import DEFAULT_INPUT, MegaphoneServer, revenue_workflow
from tests.actors.test_scheduling_properties import assert_scheduling_rules, run_once, workflows
from tests.scripted_agents import Scripted

pytestmark = pytest.mark.ray

#: Hanging attempts time out after this long on both backends (the core test uses 50 ms).
#: An attempt's clock starts when a member takes it, and a member whose worker crashed
#: takes it while Ray restarts that worker: over a second on a loaded 2-core machine. The
#: other steps must fit in the timeout whatever came before them.
HANG_TIMEOUT_S = 2.0
#: The other stages never time out in the model, whatever Ray restarts on the way: under a
#: machine loaded far beyond its cores, a restart was seen to take over 10 s.
OTHER_TIMEOUT_S = 120.0


def with_hang_timeout(raw: dict[str, Any]) -> dict[str, Any]:
    stages = [
        s | {"timeout_s": HANG_TIMEOUT_S if "hang" in s["params"]["script"] else OTHER_TIMEOUT_S}
        for s in raw["stages"]
    ]
    return raw | {"stages": stages}


def outcomes(result: RunResult) -> dict[str, tuple[Any, ...]]:
    """What must not depend on the backend: each stage's status, attempts, output, error."""
    return {
        name: (o.status, o.attempts, o.output, o.error.type if o.error else None)
        for name, o in result.stages.items()
    }


@pytest.fixture
def scripted_on_ray(ray_runtime: Runtime) -> Runtime:
    # One runtime for every example: a Ray actor costs a worker process to start. More
    # actors than any workflow has stages, and no giving up on crashing ones.
    ray_runtime.register_agent("s", Scripted, concurrency=8, max_restarts=10_000)
    return ray_runtime


@settings(max_examples=25)
@given(raw=workflows().map(with_hang_timeout), cancel_at=st.none() | st.integers(1, 4))
def test_random_workflows_obey_the_scheduling_rules_on_both_backends_alike(
    scripted_on_ray: Runtime, raw: dict[str, Any], cancel_at: int | None
) -> None:
    on_pykka = run_once(raw, cancel_at)
    on_ray = run_once(raw, cancel_at, runtime=scripted_on_ray)
    assert_scheduling_rules(*on_pykka)
    assert_scheduling_rules(*on_ray)
    pykka_result, ray_result = on_pykka[2], on_ray[2]
    if cancel_at is None:
        # Without a cancellation racing the stages, the outcome is fixed by the scripts.
        assert ray_result.status == pykka_result.status
        if pykka_result.status == "completed":
            assert outcomes(ray_result) == outcomes(pykka_result)
            assert set(ray_result.completed_stages) == set(pykka_result.completed_stages)


def revenue_on(runtime: Runtime, url: str) -> RunResult:
    register_builtin_agents(runtime)
    return runtime.run(revenue_workflow(url), input=DEFAULT_INPUT, timeout=180)


def comparable(result: RunResult) -> dict[str, Any]:
    """The revenue run's results, without timings and the data file's location."""
    extract, process, insights = (result.output(s) for s in ("extract", "process", "insights"))
    stats = process["stats"].thaw()
    del stats["duration_s"]
    del stats["quality"]["processing_efficiency"]
    return {
        "status": result.status,
        "extract": {k: extract[k] for k in ("counts", "errors", "warnings")},
        "stats": stats,
        "insights": {k: insights[k] for k in ("insights", "summary", "markdown", "warnings")},
        "charts": sorted(insights["charts"]),
    }


def test_the_revenue_example_gives_identical_results_on_both_backends(
    ray_cluster: Any,
) -> None:
    with MegaphoneServer() as api:
        with Runtime() as rt:
            on_pykka = revenue_on(rt, api.url)
        with Runtime(backend="ray") as rt:
            on_ray = revenue_on(rt, api.url)
    assert on_pykka.status == "completed", on_pykka.error
    assert on_ray.status == "completed", on_ray.error
    assert comparable(on_ray) == comparable(on_pykka)
    for stage, key in (("extract", "records"), ("process", "records"), ("process", "rejects")):
        ours, theirs = on_ray.output(stage)[key], on_pykka.output(stage)[key]
        assert ours.schema == theirs.schema
        assert ours.frame.equals(theirs.frame), f"{stage}.{key} differ"
