"""Stage caching as workflows and agents declare it: ``cache``/``cache_ttl_s`` on a stage,
``version`` and ``cacheable`` on an agent."""

from __future__ import annotations

from typing import Any

import pytest

from actorflow import Agent, Runtime, StageRequest
from actorflow._registration import agent_version
from actorflow.contracts import WorkflowValidationError, load_workflow


class Steady(Agent):
    def perform(self, request: StageRequest) -> int:
        return 1


class Versioned(Agent):
    version = "2"

    def perform(self, request: StageRequest) -> int:
        return 2


class Clock(Agent):
    cacheable = False

    def perform(self, request: StageRequest) -> int:
        return 3


def wf(agent: str, **stage: Any) -> dict[str, Any]:
    return {"name": "w", "stages": [{"name": "s", "agent": agent, **stage}]}


def test_a_stage_opts_in_with_cache_or_a_ttl() -> None:
    assert not load_workflow(wf("steady")).stages[0].cached
    assert load_workflow(wf("steady", cache=True)).stages[0].cached
    ttl = load_workflow(wf("steady", cache_ttl_s=60)).stages[0]
    assert ttl.cached
    assert ttl.cache_ttl_s == 60


@pytest.mark.parametrize("ttl", [0, -1, float("inf")])
def test_a_ttl_that_is_not_a_positive_number_is_refused(ttl: float) -> None:
    with pytest.raises(WorkflowValidationError, match=r"cache_ttl_s.*must be a positive number"):
        load_workflow(wf("steady", cache_ttl_s=ttl))


def test_an_agent_that_is_not_cacheable_refuses_cached_stages(runtime: Runtime) -> None:
    runtime.register_agent("clock", Clock)
    runtime.register_agent("steady", Steady)
    runtime.validate(wf("clock"))
    runtime.validate(wf("steady", cache=True))
    for stage in ({"cache": True}, {"cache_ttl_s": 5}):
        with pytest.raises(WorkflowValidationError, match=r"cacheable = False"):
            runtime.validate(wf("clock", **stage))
    with pytest.raises(WorkflowValidationError, match=r"cacheable = False"):
        runtime.validate(load_workflow(wf("clock", cache=True)))  # a spec, not a document


def test_an_agents_version_is_declared_or_a_digest_of_its_source() -> None:
    assert agent_version(Versioned) == "2"
    digest = agent_version(Steady)
    assert digest.startswith("src:")
    assert digest != agent_version(Clock)
    made = type("Made", (Agent,), {})  # no source to read
    assert agent_version(made).endswith("Made")
