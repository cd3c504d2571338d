"""Scheduling rule 6: invalid workflows are rejected before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from actorflow import Runtime, WorkflowValidationError
from actorflow.contracts import load_workflow
from tests.scripted_agents import Scripted


def _wf(*stages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "wf", "stages": list(stages), **extra}


def test_a_cycle_is_named_stage_by_stage() -> None:
    wf = _wf(
        {"name": "a", "agent": "x", "depends_on": ["c"]},
        {"name": "b", "agent": "x", "depends_on": ["a"]},
        {"name": "c", "agent": "x", "depends_on": ["b"]},
    )
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow(wf)
    assert "a -> c -> b -> a" in str(info.value) or "cycle" in str(info.value)
    assert {"a", "b", "c"} <= set(str(info.value).replace("'", " ").split())


def test_unknown_dependency_is_named() -> None:
    with pytest.raises(
        WorkflowValidationError, match=r"stage 'b', field 'depends_on': unknown stage 'zz'"
    ):
        load_workflow(
            _wf({"name": "a", "agent": "x"}, {"name": "b", "agent": "x", "depends_on": ["zz"]})
        )


def test_unknown_agent_is_named_with_the_known_ones() -> None:
    with pytest.raises(
        WorkflowValidationError,
        match=r"stage 'a', field 'agent': unknown agent 'ghost' \(known: x\)",
    ):
        load_workflow(_wf({"name": "a", "agent": "ghost"}), agents={"x"})


def test_declaration_order_contradicting_dependencies_is_rejected() -> None:
    wf = _wf({"name": "a", "agent": "x", "depends_on": ["b"]}, {"name": "b", "agent": "x"})
    with pytest.raises(WorkflowValidationError, match="declared after it"):
        load_workflow(wf)


def test_a_group_member_cannot_depend_on_its_own_group() -> None:
    wf = _wf(
        {"name": "a", "agent": "x", "parallel_group": "g"},
        {"name": "b", "agent": "x", "parallel_group": "g", "depends_on": ["a"]},
    )
    with pytest.raises(WorkflowValidationError, match="own parallel_group"):
        load_workflow(wf)


def test_duplicate_names_and_bad_numbers_are_all_reported_at_once() -> None:
    wf = _wf(
        {"name": "a", "agent": "x", "retries": -1, "timeout_s": 0},
        {"name": "a", "agent": "x"},
    )
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow(wf)
    fields = {(p.stage, p.field) for p in info.value.problems}
    assert {("a", "retries"), ("a", "timeout_s"), ("a", "name")} <= fields


def test_runtime_rejects_an_invalid_workflow_before_running_anything(runtime: Runtime) -> None:
    runtime.register_agent("x", Scripted)
    with pytest.raises(WorkflowValidationError, match="unknown agent 'nope'"):
        runtime.submit(_wf({"name": "a", "agent": "x"}, {"name": "b", "agent": "nope"}))
    assert runtime.agents()[0].executions == 0
