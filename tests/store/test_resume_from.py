"""``Runtime.submit(..., resume_from=...)``: stages that finished before are not run again."""

from __future__ import annotations

import re
from typing import Any

import pytest

from actorflow import Runtime
from actorflow.contracts import (
    ErrorInfo,
    RunFinished,
    StageFinished,
    StageOutcome,
    StageStarted,
    WorkflowValidationError,
)
from tests.event_recorder import EventRecorder
from tests.store.store_agents import register_agents


def outcome(stage: str, output: Any = None, *, status: str = "succeeded") -> StageOutcome:
    error = None if status == "succeeded" else ErrorInfo(type="ValueError", message="bad")
    return StageOutcome(
        stage=stage,
        agent="returns",
        status=status,  # type: ignore[arg-type]
        output=output,
        error=error,
        attempts=1,
        started_at=1.0,
        finished_at=2.0,
        duration_s=1.0,
    )


def stage(name: str, *deps: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "agent": "returns", "depends_on": list(deps), **extra}


@pytest.fixture
def agents(runtime: Runtime) -> Runtime:
    register_agents(runtime)
    return runtime


def started(events: list[Any]) -> list[str]:
    return [e.stage for e in events if isinstance(e, StageStarted)]


def test_reused_stages_are_not_run_and_their_dependents_see_their_outputs(
    agents: Runtime,
) -> None:
    recorder = EventRecorder(agents)
    workflow = {"name": "chain", "stages": [stage("a"), stage("b", "a"), stage("c", "b")]}
    handle = agents.submit(workflow, resume_from={"a": outcome("a", "from before")})
    result = handle.result(timeout=10)
    events = recorder.events(handle.run_id)

    assert result.ok
    assert started(events) == ["b", "c"]
    assert result.outcome("a") == outcome("a", "from before")
    assert result.output("b")["outputs"] == {"a": 1}
    assert result.completed_stages == ("a", "b", "c")
    finished = [e.stage for e in events if isinstance(e, StageFinished)]
    assert finished == ["a", "b", "c"]  # every stage still ends with one StageFinished
    assert events[1].progress == 33


def test_a_parallel_workflow_resumes_every_stage_whose_dependencies_are_done(
    agents: Runtime,
) -> None:
    recorder = EventRecorder(agents)
    workflow = {
        "name": "dag",
        "parallel": True,
        "stages": [stage("a"), stage("b"), stage("c", "a"), stage("d", "b"), stage("e", "c", "d")],
    }
    handle = agents.submit(workflow, resume_from={"a": outcome("a", 1), "c": outcome("c", 3)})
    result = handle.result(timeout=10)

    assert result.ok
    assert sorted(started(recorder.events(handle.run_id))) == ["b", "d", "e"]
    assert result.output("e")["outputs"] == {"c": 1, "d": 1}


def test_a_sequential_group_runs_only_its_unfinished_members(agents: Runtime) -> None:
    recorder = EventRecorder(agents)
    workflow = {
        "name": "grouped",
        "stages": [
            stage("a"),
            stage("b1", "a", parallel_group="g"),
            stage("b2", "a", parallel_group="g"),
            stage("c", "b1", "b2"),
        ],
    }
    handle = agents.submit(workflow, resume_from={"a": outcome("a"), "b2": outcome("b2")})
    assert handle.result(timeout=10).ok
    assert started(recorder.events(handle.run_id)) == ["b1", "c"]


def test_an_optional_stage_that_failed_before_stays_failed_and_its_dependents_run(
    agents: Runtime,
) -> None:
    workflow = {"name": "opt", "stages": [stage("a", required=False), stage("b", "a")]}
    failed = outcome("a", status="failed")
    result = agents.submit(workflow, resume_from={"a": failed}).result(timeout=10)
    assert result.ok
    assert result.outcome("a").status == "failed"
    assert result.output("b")["outputs"] == {}


def test_a_run_whose_stages_all_finished_completes_at_once(agents: Runtime) -> None:
    recorder = EventRecorder(agents)
    workflow = {"name": "done", "stages": [stage("a"), stage("b", "a")]}
    handle = agents.submit(workflow, resume_from={"a": outcome("a"), "b": outcome("b")})
    assert handle.result(timeout=10).ok
    events = recorder.events(handle.run_id)
    assert started(events) == []
    assert isinstance(events[-1], RunFinished)
    assert events[-1].progress == 100


@pytest.mark.parametrize(
    ("resume_from", "message"),
    [
        ({"zz": outcome("zz")}, "stage 'zz', field 'resume_from': the workflow has no such stage"),
        ({"b": outcome("b")}, "stage 'b', field 'resume_from': its dependencies ['a']"),
        ({"a": outcome("a", status="failed")}, "a required stage that failed"),
        ({"a": outcome("a", status="running")}, "expected a terminal outcome"),
        ({"a": outcome("b")}, "expected a terminal outcome of this stage"),
    ],
)
def test_outcomes_that_do_not_fit_the_workflow_are_refused_before_anything_runs(
    agents: Runtime, resume_from: dict[str, StageOutcome], message: str
) -> None:
    recorder = EventRecorder(agents)
    workflow = {"name": "chain", "stages": [stage("a"), stage("b", "a")]}
    with pytest.raises(WorkflowValidationError, match=re.escape(message)):
        agents.submit(workflow, resume_from=resume_from)
    assert recorder.by_run == {}
